# One image for the gateway and every actor: `npm run gateway` or `npm run actor -- <stage>`.
# No build step: tsx runs the TypeScript sources directly.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

# better-sqlite3 (the embedded store, still a dependency) builds from source when no prebuilt binary fits.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

COPY package.json package-lock.json ./
# tsx is a runtime dependency; dev dependencies (tests, type-checker) stay out of the image.
RUN npm ci --omit=dev && npm cache clean --force

COPY schema ./schema
COPY config ./config
COPY messaging ./messaging
COPY stores ./stores
COPY embedders ./embedders
COPY services ./services
COPY supervisor ./supervisor
COPY gateway ./gateway
COPY observability ./observability
COPY tsconfig.json ./

USER node
EXPOSE 4000
CMD ["npm", "run", "gateway"]
