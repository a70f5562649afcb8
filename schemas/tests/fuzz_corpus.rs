//! Replays the fuzzer's corpus (`fuzz/corpus/load/`) on stable: every input, read as each
//! kind of file, returns diagnostics in bounded time instead of panicking or hanging.

use dpc_schema::{SchemaKind, check_bytes};
use std::path::Path;
use std::time::{Duration, Instant};

#[test]
fn every_corpus_input_is_handled() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/load");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .expect("the corpus is committed")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    inputs.sort();
    assert!(inputs.len() > 50, "the corpus has {} inputs", inputs.len());
    for input in inputs {
        let bytes = std::fs::read(&input).expect("a corpus file");
        for kind in SchemaKind::ALL {
            let start = Instant::now();
            let _ = check_bytes(kind, &bytes);
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{} as {} took {:?}",
                input.display(),
                kind.name(),
                start.elapsed()
            );
        }
    }
}

#[test]
fn hostile_inputs_get_a_diagnostic_each() {
    let cases: [(&[u8], &str); 6] = [
        (b"a: [\n", "DM0101"),
        (b"\xff\xfe", "DM0114"),
        (b"- a\n- b\n", "DM0105"),
        (b"a: 1\na: 2\n", "DM0109"),
        (b"!!binary x", "DM0115"),
        (&[b'['; 5000], "DM0111"),
    ];
    for (bytes, code) in cases {
        let found = check_bytes(SchemaKind::Pipeline, bytes);
        assert!(
            found.iter().any(|d| d.code == code),
            "{:?}: expected {code}, got {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(20)]),
            found.iter().map(|d| d.to_string()).collect::<Vec<_>>()
        );
    }
}
