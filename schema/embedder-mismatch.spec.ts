import assert from 'node:assert/strict';
import { canonicalEmbedderName, sameEmbedder } from './embedder-mismatch.ts';

describe('embedder identity: which spellings name the same embedder', () => {
  it('when an Ollama model is named with or without its default tag, registry, namespace or case, should be the same embedder', () => {
    const spellings = ['ollama/nomic-embed-text', 'ollama/nomic-embed-text:latest', 'ollama/Nomic-Embed-Text', 'ollama/registry.ollama.ai/library/nomic-embed-text:latest', 'ollama/library/nomic-embed-text'];
    for (const name of spellings) {
      assert.equal(canonicalEmbedderName(name), 'ollama/nomic-embed-text:latest', name);
      assert.ok(sameEmbedder({ name, dimension: 768 }, { name: spellings[0]!, dimension: 768 }), name);
    }
  });

  it('when the tag, the model, the dimension or the kind differ, should be another embedder', () => {
    const base = { name: 'ollama/nomic-embed-text', dimension: 768 };
    for (const other of [
      { name: 'ollama/nomic-embed-text:v1.5', dimension: 768 },
      { name: 'ollama/mxbai-embed-large', dimension: 768 },
      { name: 'ollama/nomic-embed-text', dimension: 384 },
      { name: 'ollama/hf.co/someone/nomic-embed-text', dimension: 768 },
      { name: 'nomic-embed-text', dimension: 768 },
    ]) assert.ok(!sameEmbedder(base, other), other.name);
    assert.equal(canonicalEmbedderName('local-hashing-lexical-v1'), 'local-hashing-lexical-v1', 'other embedders as they are');
  });
});
