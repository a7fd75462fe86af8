/** AMQP_URL: one RabbitMQ node, or several nodes of one cluster. */

/**
 * The node URLs of AMQP_URL: one, or several of one cluster comma-separated. Each must be a whole
 * amqp:// or amqps:// URL (credentials and vhost may differ per node).
 */
export function splitNodeUrls(value: string): string[] {
  const urls = value.split(',').map((url) => url.trim()).filter(Boolean);
  if (urls.length === 0) throw new Error('AMQP_URL must name at least one RabbitMQ node (amqp://user:password@host:port)');
  for (const url of urls) {
    if (!/^amqps?:\/\/[^/\s]/.test(url)) {
      throw new Error(`AMQP_URL entries must be amqp:// or amqps:// URLs separated by commas, got "${redact(url)}"`);
    }
  }
  return urls;
}

/** The URL with its password replaced by ***, for logs and errors. */
export function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/)?([^:@/]+):([^@/]+)@/, '$1$2:***@');
}
