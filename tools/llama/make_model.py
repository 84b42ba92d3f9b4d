#!/usr/bin/env python3
"""Writes a random-weight model in Karpathy's llama2.c checkpoint format.

No trained model can be downloaded here, but llama-server only needs *a* model to exercise its
real HTTP API, JSON-schema grammar, token accounting and parallel slots. The text it produces is
nonsense; that is fine for protocol and throughput tests. llama-convert-llama2c-to-ggml turns
this file into a GGUF (with the vocabulary copied from llama.cpp's ggml-vocab-llama-spm.gguf,
which is why vocab_size must be 32000). Standard library only (no numpy on this machine).
"""
import argparse
import array
import random
import struct


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=172)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--seq-len", type=int, default=2048)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()

    rng = random.Random(a.seed)
    head_size = a.dim // a.heads

    def randn(n: int, scale: float = 0.02) -> array.array:
        return array.array("f", (rng.gauss(0.0, scale) for _ in range(n)))

    def ones(n: int) -> array.array:
        return array.array("f", [1.0]) * n

    with open(a.out, "wb") as f:
        # Negative vocab_size = the classifier is stored separately (not tied to embeddings).
        f.write(struct.pack("7i", a.dim, a.hidden, a.layers, a.heads, a.heads, -a.vocab, a.seq_len))
        L, d, h = a.layers, a.dim, a.hidden
        for part in (
            randn(a.vocab * d),   # token_embedding_table
            ones(L * d),          # rms_att_weight
            randn(L * d * d),     # wq
            randn(L * d * d),     # wk
            randn(L * d * d),     # wv
            randn(L * d * d),     # wo
            ones(L * d),          # rms_ffn_weight
            randn(L * h * d),     # w1
            randn(L * d * h),     # w2
            randn(L * h * d),     # w3
            ones(d),              # rms_final_weight
            array.array("f", [0.0]) * (a.seq_len * head_size),  # freq_cis real+imag (skipped)
            randn(a.vocab * d),   # wcls
        ):
            part.tofile(f)


if __name__ == "__main__":
    main()
