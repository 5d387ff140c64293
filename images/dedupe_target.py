"""Builder-stage helper: remove from a `pip install --target` folder every distribution that the
virtual environment already has in the same version (it would only shadow nothing and take space).

    python3 dedupe_target.py TARGET_DIR VENV_SITE_PACKAGES
"""

import sys
from importlib.metadata import distributions
from pathlib import Path


def main(target: str, site_packages: str) -> int:
    installed = {
        (d.metadata["Name"].lower().replace("_", "-"), d.version) for d in distributions(path=[site_packages])
    }
    root = Path(target).resolve()
    removed = []
    for dist in distributions(path=[target]):
        key = (dist.metadata["Name"].lower().replace("_", "-"), dist.version)
        if key not in installed:
            continue
        for file in dist.files or []:
            path = Path(dist.locate_file(file))
            inside = path.resolve().is_relative_to(root)
            if inside and (path.is_file() or path.is_symlink()):
                path.unlink()
        removed.append("==".join(key))
    # folders left empty by the removals
    for folder in sorted((p for p in Path(target).rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(folder.iterdir()):
            folder.rmdir()
    print("already in the venv, removed from the target:", ", ".join(removed) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
