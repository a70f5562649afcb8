"""Checks an assembly synthesized with `dpc synth --bundle`: every Lambda function of
every template runs the bundle, and the assembly holds it (a zip with an executable
`bootstrap`). Prints the bundle's size. Usage: check_bundle.py ASSEMBLY_DIR"""
import json
import pathlib
import sys
import zipfile


def main(assembly: pathlib.Path) -> int:
    manifest = json.loads((assembly / "manifest.json").read_text())
    keys = set()
    functions = 0
    for artifact in manifest["artifacts"].values():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template = json.loads((assembly / artifact["properties"]["templateFile"]).read_text())
        for logical_id, resource in template.get("Resources", {}).items():
            if resource.get("Type") != "AWS::Lambda::Function":
                continue
            functions += 1
            key = resource["Properties"]["Code"].get("S3Key")
            if not isinstance(key, str) or not key.endswith(".zip"):
                print(f"{artifact['properties']['templateFile']}: {logical_id} does not run a zip asset: {key!r}")
                return 1
            keys.add(key)
    if functions == 0:
        print("no Lambda function in the assembly")
        return 1
    if len(keys) != 1:
        print(f"the functions run {len(keys)} different bundles: {sorted(keys)}")
        return 1
    key = keys.pop()
    staged = assembly / f"asset.{key}"
    if not staged.is_file():
        print(f"the assembly does not hold the bundle {staged.name}")
        return 1
    with zipfile.ZipFile(staged) as bundle:
        names = bundle.namelist()
        if names != ["bootstrap"]:
            print(f"{staged.name} holds {names}, not just `bootstrap`")
            return 1
        mode = (bundle.getinfo("bootstrap").external_attr >> 16) & 0o777
        if mode & 0o111 == 0:
            print(f"bootstrap in {staged.name} is not executable (mode {mode:o})")
            return 1
    size = staged.stat().st_size
    print(f"{functions} functions run {staged.name}: {size} bytes ({size / 1048576:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1])))
