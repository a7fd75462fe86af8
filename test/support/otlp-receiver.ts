/**
 * A minimal OTLP/HTTP trace receiver for tests: listens on 127.0.0.1:0, decodes the protobuf
 * ExportTraceServiceRequest the exporter sends (the subset of opentelemetry-proto's trace.proto
 * that tests read; unknown fields are skipped), and keeps every span.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';

// From https://github.com/open-telemetry/opentelemetry-proto (common, resource and trace protos).
const OTLP_PROTO = `
syntax = "proto3";
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { repeated Span spans = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; repeated Event events = 11; Status status = 15;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; bytes bytes_value = 7; }
}
`;

const REQUEST = protobuf.parse(OTLP_PROTO, { keepCase: false }).root.lookupType('ExportTraceServiceRequest');

/** OTLP span kinds (SPAN_KIND_*). */
export const SpanKindCode = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
/** OTLP status codes. */
export const StatusCodeValue = { UNSET: 0, OK: 1, ERROR: 2 } as const;

/** One received span, ids as hex. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly name: string;
  readonly kind: number;
  readonly serviceName: string | null;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly events: readonly { name: string; attributes: Readonly<Record<string, string | number | boolean>> }[];
  readonly status: { readonly code: number; readonly message: string };
}

export interface OtlpReceiver {
  /** http://127.0.0.1:port/v1/traces */
  readonly tracesUrl: string;
  readonly spans: ReceivedSpan[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      try {
        if (request.url !== '/v1/traces') throw new Error(`unexpected path ${request.url}`);
        spans.push(...decode(Buffer.concat(parts)));
        response.writeHead(200, { 'content-type': 'application/x-protobuf' });
        response.end();
      } catch (error) {
        response.writeHead(400, { 'content-type': 'text/plain' });
        response.end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    tracesUrl: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

type Decoded = Record<string, any>;

function decode(body: Buffer): ReceivedSpan[] {
  const request = REQUEST.toObject(REQUEST.decode(body), { longs: Number, bytes: Buffer }) as Decoded;
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        const parent = hex(span.parentSpanId);
        spans.push({
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId: parent === '' ? null : parent,
          name: span.name,
          kind: span.kind,
          serviceName: typeof resource['service.name'] === 'string' ? resource['service.name'] : null,
          attributes: attributesOf(span.attributes),
          events: (span.events ?? []).map((event: Decoded) => ({ name: event.name, attributes: attributesOf(event.attributes) })),
          status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
        });
      }
    }
  }
  return spans;
}

function attributesOf(list: Decoded[] | undefined): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    const content = value?.stringValue ?? value?.intValue ?? value?.doubleValue ?? value?.boolValue;
    if (content !== undefined) attributes[key] = content;
  }
  return attributes;
}

function hex(bytes: Buffer | undefined): string {
  return bytes ? Buffer.from(bytes).toString('hex') : '';
}
