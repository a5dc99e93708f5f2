# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: a table and its stamp, printed and written between
# <!-- NAME:BEGIN --> and <!-- NAME:END --> of docs/performance.md (the
# compression and async table scripts share it).
import re
import sys


def write(name, stamp, table, path="docs/performance.md"):
    print(stamp)
    print(table)
    doc = open(path).read()
    begin, end = f"<!-- {name}:BEGIN -->", f"<!-- {name}:END -->"
    if begin not in doc:
        sys.exit(f"no {name} markers in {path}")
    new = f"{begin}\n{stamp}\n\n{table}\n{end}"
    doc = re.sub(re.escape(begin) + ".*" + re.escape(end), lambda _: new, doc, flags=re.S)
    open(path, "w").write(doc)
