# One image for the gateway and every actor: `npm run gateway` or `npm run actor -- <stage>`.
# `npm ci` compiles the TypeScript sources into dist/ (the `prepare` script), which the processes
# run: no compiler at start-up.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

# better-sqlite3 (the embedded store, still a dependency) builds from source when no prebuilt binary fits.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

COPY package.json package-lock.json tsconfig.json ./
COPY build ./build
COPY schema ./schema
COPY config ./config
COPY messaging ./messaging
COPY stores ./stores
COPY embedders ./embedders
COPY services ./services
COPY supervisor ./supervisor
COPY gateway ./gateway
COPY observability ./observability

# The build needs the dev dependencies (esbuild); the image keeps only the runtime ones.
RUN npm ci --include=dev --no-audit --no-fund \
  && npm prune --omit=dev --no-audit --no-fund \
  && npm cache clean --force

USER node
EXPOSE 4000
CMD ["npm", "run", "gateway"]
