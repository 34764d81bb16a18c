#!/usr/bin/env python3
"""Runs llama.cpp's convert_hf_to_gguf.py (from the pinned source on PYTHONPATH) for several jobs in one
interpreter, so torch is imported once. Each argument is CHECKPOINT_DIR:OUTTYPE:OUTFILE.

One adjustment, for BitNet only: the pinned converter's BitnetModel reads a SentencePiece tokenizer.model, while
BitNet checkpoints with a byte-level BPE tokenizer.json (BitNet b1.58 2B-4T's) have none; for those it is pointed
at the converter's own BPE path (TextModel._set_vocab_gpt2, what every other BPE model uses). Nothing else changes.

Checkpoints with BitNet's packed ternary weights (config.json quantization_config "bitnet") are converted with the
converter's own --no-lazy: in its default lazy mode, dequant_bitnet shifts a meta-device tensor by a CPU tensor and
torch refuses ("Tensor on device cpu is not on the expected device meta").
"""
import json
import os
import sys

import convert_hf_to_gguf as reference
from conversion import bitnet


def bitnet_vocab(self):
    if (self.dir_model / "tokenizer.model").is_file():
        self._set_vocab_sentencepiece()
    else:
        self._set_vocab_gpt2()


bitnet.BitnetModel.set_vocab = bitnet_vocab

for job in sys.argv[1:]:
    directory, outtype, outfile = job.split(":", 2)
    sys.argv = ["convert_hf_to_gguf.py", directory, "--outtype", outtype, "--outfile", outfile]
    with open(os.path.join(directory, "config.json"), encoding="utf-8") as f:
        if (json.load(f).get("quantization_config") or {}).get("quant_method") == "bitnet":
            sys.argv.append("--no-lazy")
    reference.main()
    if not os.path.isfile(outfile):
        sys.exit(f"hf_reference: {outfile} was not written")
