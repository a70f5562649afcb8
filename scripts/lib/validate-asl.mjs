// Validates Amazon States Language definitions with asl-validator, called as a
// library: in 4.0.0 its CLI ignores --no-arn-check/--no-path-check, and the
// library takes the options directly. All checks are on, ARNs included: the
// caller substitutes whole ARNs for DefinitionSubstitutions placeholders.
//
// stdin:  [{"name": "...", "definition": {...}}, ...]
// stdout: [{"name": "...", "errors": ["CODE: message", ...]}, ...] in input order
// Exit status 0 whatever the findings (the caller judges them), 1 when it
// could not run.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(join(root, "tools", "package.json"));
const validator = require("asl-validator");

const options = { checkPaths: true, checkArn: true };

const machines = JSON.parse(readFileSync(0, "utf8"));
const results = machines.map(({ name, definition }) => {
  const { errors } = validator(definition, options);
  return {
    name,
    errors: errors.map((error) =>
      // Schema errors come from ajv, the semantic checks have their own shape.
      "Error code" in error
        ? `${error["Error code"]}: ${error.Message}`
        : `SCHEMA: ${error.instancePath || "/"} ${error.message}${
            error.params && Object.keys(error.params).length > 0
              ? ` ${JSON.stringify(error.params)}`
              : ""
          }`,
    ),
  };
});
process.stdout.write(`${JSON.stringify(results, null, 1)}\n`);
