//! The committed `schemas/*.schema.json` files are what `dpc schema` prints: editors read
//! the files, dpc validates with the generated schema, and the two must not drift apart.

use dpc_schema::{SchemaKind, json_schema};
use std::path::Path;

#[test]
fn committed_schemas_are_fresh() {
    let update = std::env::var_os("DPC_UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for kind in SchemaKind::ALL {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(kind.file_name());
        let generated =
            serde_json::to_string_pretty(&json_schema(kind)).expect("a schema is JSON") + "\n";
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != generated {
            if update {
                std::fs::write(&path, &generated).expect("the schema file is writable");
            } else {
                stale.push(format!("schemas/{}", kind.file_name()));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "{} out of date with the model; refresh with `DPC_UPDATE_SCHEMAS=1 cargo test -p dpc-schema --test schema_files` and commit the result",
        stale.join(", ")
    );
}

#[test]
fn schemas_are_draft_07_and_document_every_top_level_key() {
    for kind in SchemaKind::ALL {
        let schema = json_schema(kind);
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(SchemaKind::from_name(kind.name()), Some(kind));
        let properties = schema["properties"].as_object().expect("an object schema");
        for (key, property) in properties {
            assert!(
                property
                    .get("description")
                    .and_then(|d| d.as_str())
                    .is_some_and(|d| !d.is_empty()),
                "{}: `{key}` has no description for editors to show",
                kind.name()
            );
        }
    }
}

#[test]
fn step_kinds_extend_the_pipeline_schema() {
    let schema = json_schema(SchemaKind::Pipeline);
    let step = &schema["definitions"]["Step"];
    assert_eq!(
        step["properties"]["type"]["enum"],
        serde_json::json!(["spark", "shell"])
    );
    let branches = step["allOf"].as_array().expect("one branch per kind");
    assert_eq!(branches.len(), 2);
    assert_eq!(
        branches[0]["then"]["required"],
        serde_json::json!(["script"])
    );
    assert_eq!(branches[0]["then"]["additionalProperties"], false);
}
