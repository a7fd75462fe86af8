/** The text embedded for a chunk: its heading path gives short chunks their context. */
export function textToEmbed(chunk: { readonly text: string; readonly heading: string | null }): string {
  return chunk.heading ? `${chunk.heading}\n${chunk.text}` : chunk.text;
}
