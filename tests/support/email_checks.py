#!/usr/bin/env python3
"""Independent checks of the .eml files rapport builds, with the tools mail systems use.

  email_checks.py parse FILE
      Prints a JSON summary as Python's `email` package (RFC 5322 / MIME) sees the message.
  email_checks.py dkim FILE SELECTOR=DNS_TXT... [--alter-subject]
      Verifies every DKIM-Signature header, top first, with dkimpy, answering the key lookup
      for each selector with its DNS_TXT (a stub: no network). Prints one line per signature,
      `SELECTOR verified` or `SELECTOR does not verify`, and exits 0; anything else (a
      traceback exits 1) is no verdict.

Exit 3 with an install hint when a module is missing: a check that cannot run must fail,
never read as "does not verify" (dkimpy without PyNaCl rejects every Ed25519 signature).
"""
import json
import sys
from email import policy
from email.parser import BytesParser


def parse(path):
    raw = open(path, "rb").read()
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    counts = {}
    for name in msg.keys():
        counts[name.lower()] = counts.get(name.lower(), 0) + 1
    parts = []
    for part in msg.walk():
        if part.is_multipart():
            parts.append({"type": part.get_content_type()})
        else:
            parts.append({"type": part.get_content_type(), "charset": part.get_content_charset(),
                          "body": part.get_content()})
    print(json.dumps({
        "defects": [str(d) for d in msg.defects],
        "counts": counts,
        "headers": {k.lower(): str(v) for k, v in msg.items()},
        "to_addresses": [a.addr_spec for a in msg["to"].addresses],
        "to_names": [a.display_name for a in msg["to"].addresses],
        "subject": str(msg["subject"]),
        "content_type": msg.get_content_type(),
        "parts": parts,
    }, ensure_ascii=False))


def require(module, package):
    try:
        __import__(module)
    except ImportError:
        print(f"python module `{module}` missing: pip install {package}"
              " (scripts/test installs what the tests need)", file=sys.stderr)
        sys.exit(3)


def verify(path, records, alter_subject):
    require("dkim", "dkimpy")
    require("nacl", "pynacl")  # dkimpy's Ed25519; without it every such signature "fails"
    import dkim
    import re
    raw = open(path, "rb").read()
    if alter_subject:
        head, sep, body = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        lines = [b"Subject: Altered after signing" if l.lower().startswith(b"subject:") else l for l in lines]
        # Drop continuation lines of the old Subject, if it was folded.
        out, skipping = [], False
        for l in lines:
            if l.startswith(b"Subject: Altered"):
                out.append(l); skipping = True; continue
            if skipping and l[:1] in (b" ", b"\t"):
                continue
            skipping = False
            out.append(l)
        raw = b"\r\n".join(out) + sep + body

    txt = dict(r.split("=", 1) for r in records)

    def dns(name, timeout=5):
        # name: SELECTOR._domainkey.DOMAIN.
        record = txt.get(name.decode().split(".", 1)[0])
        return record.encode() if record else None

    head = raw.partition(b"\r\n\r\n")[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b"\t")
    selectors = [re.search(rb"[;\s]s=\s*([^;\s]+)", l).group(1).decode()
                 for l in head.split(b"\r\n") if l.lower().startswith(b"dkim-signature:")]
    for idx, selector in enumerate(selectors):
        ok = dkim.DKIM(raw).verify(idx=idx, dnsfunc=dns)
        print(selector, "verified" if ok else "does not verify")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "parse":
        parse(sys.argv[2])
    elif cmd == "dkim":
        verify(sys.argv[2], [a for a in sys.argv[3:] if not a.startswith("--")],
               "--alter-subject" in sys.argv[3:])
    else:
        sys.exit(f"unknown command {cmd}")
