"""Signs each case read from stdin with the official PyPI signer at the case's fixed time."""
import base64
import json
import sys
import types

import TLSSigAPIv2

sigs = []
for case in json.load(sys.stdin):
    TLSSigAPIv2.time = types.SimpleNamespace(time=lambda: case["time"])
    api = TLSSigAPIv2.TLSSigAPIv2(case["sdkappid"], case["key"])
    if case["userbuf"] is None:
        sigs.append(api.gen_sig(case["identifier"], case["expire"]))
    else:
        userbuf = base64.b64decode(case["userbuf"])
        sigs.append(api.gen_sig_with_userbuf(case["identifier"], case["expire"], userbuf))
json.dump(sigs, sys.stdout)
