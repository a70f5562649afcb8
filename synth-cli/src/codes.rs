//! The diagnostic codes the CLI's own commands emit (`DM057x`). The engine writes
//! `DM050x`, `dpc diff`/`deploy` `DM056x`; every code is stable once released.

/// `--upstream`/`--downstream` named a pipeline the graph does not hold.
pub const UNKNOWN_GRAPH_PIPELINE: &str = "DM0570";
/// The current folder cannot be read.
pub const NO_CURRENT_DIR: &str = "DM0571";
/// `create-project -n` is not a valid pipeline name.
pub const INVALID_PROJECT_NAME: &str = "DM0572";
/// `create-project` would overwrite an existing path.
pub const PROJECT_EXISTS: &str = "DM0573";
/// `create-project` found no platform.yaml to place the project in, or could not load it.
pub const NO_PLATFORM_FOR_PROJECT: &str = "DM0574";
/// platform.yaml lists no account for the new project.
pub const NO_ACCOUNT_FOR_PROJECT: &str = "DM0575";
/// The new project's files could not be written.
pub const PROJECT_WRITE_FAILED: &str = "DM0576";
/// A scenario time outside the range the trigger semantics model.
pub const SCENARIO_TIME_OUT_OF_RANGE: &str = "DM0577";
/// The Lambda bundle could not be built.
pub const BUNDLE_FAILED: &str = "DM0578";
