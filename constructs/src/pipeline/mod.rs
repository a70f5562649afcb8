//! The pipeline stack `dpc-pipeline-<name>`, one per pipeline.yaml.
