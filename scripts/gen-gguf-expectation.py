#!/usr/bin/env python3
"""Writes the tensor directory of a GGUF file as seen by the `gguf` PyPI package's reader (0.19.0).

Run once to produce Tests/GGUFTests/Fixtures/smollm2-135m-q4_1.tensors.json; the Swift test compares our
reader against it. Usage: scripts/gen-gguf-expectation.py MODEL.gguf OUT.json
"""
import json
import sys

from gguf import GGUFReader

reader = GGUFReader(sys.argv[1])
arch = reader.fields["general.architecture"]
tensors = [
    {
        "name": t.name,
        "type": t.tensor_type.name.lower(),
        "type_id": int(t.tensor_type),
        # GGUFReader reports shapes in ggml order (ne0 first), as the file stores them.
        "shape": [int(x) for x in t.shape],
        "file_offset": int(t.data_offset),
        "bytes": int(t.n_bytes),
    }
    for t in reader.tensors
]
doc = {
    "generator": "gguf==0.19.0 GGUFReader",
    "architecture": bytes(arch.parts[arch.data[0]]).decode(),
    "tensor_count": len(tensors),
    "metadata_keys": [k for k in reader.fields.keys() if not k.startswith("GGUF.")],
    "tensors": tensors,
}
with open(sys.argv[2], "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
