#!/usr/bin/env python3
"""The floors of the tree (README.md, "Layout"): a file may include headers of
its own floor or of floors below it, never above.  Prints every upward include
as FILE:LINE: ... and exits 1 if there is any.

    6 cli/   5 bench/   4 forecasters/ hcsc/ domain_shift/
    3 nn/ datasets/ reports/   2 core/   1 include/bench/ (public headers)

tests/, perf/, fuzz/, examples/ and tools/ stand outside the floors and may use
any of them.  `make check` runs this first."""
import os
import re
import sys

FLOORS = {"cli": 6, "bench": 5, "forecasters": 4, "hcsc": 4, "domain_shift": 4,
          "nn": 3, "datasets": 3, "reports": 3, "core": 2, "include": 1}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def floor_of(path):
    return FLOORS.get(path.split("/", 1)[0], 0)


def resolve(including, name):
    """As the compiler does with -Iinclude -I.: beside the file, then include/, then the top."""
    for candidate in (os.path.join(os.path.dirname(including), name), os.path.join("include", name), name):
        if os.path.isfile(candidate):
            return os.path.normpath(candidate)
    return None


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    files = sorted(os.path.join(root, name) for top in FLOORS for root, _, names in os.walk(top)
                   for name in names if name.endswith((".c", ".h")))
    upward = []
    for path in files:
        own = floor_of(path)
        with open(path, encoding="utf-8", errors="replace") as source:
            for number, line in enumerate(source, 1):
                match = INCLUDE.match(line)
                target = match and resolve(path, match.group(1))
                if target and floor_of(target) > own:
                    upward.append(f"{path}:{number}: {path.split('/')[0]}/ includes {target}, "
                                  f"a floor above (floor {floor_of(target)} > {own})")
    for line in upward:
        print(line)
    if upward:
        print(f"check-floors: {len(upward)} upward include(s); a floor may use only its own and the ones below",
              file=sys.stderr)
        return 1
    print(f"check-floors: {len(files)} files, no upward include")
    return 0


if __name__ == "__main__":
    sys.exit(main())
