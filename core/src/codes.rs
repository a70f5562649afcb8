//! The stable diagnostic codes dpc-core reports. Construct libraries use `DM0301`–`DM0389`
//! for their own validations; the engine keeps `DM039x` (tree), `DM04xx` (synthesis and
//! lint) and `DM050x` (writing the assembly).

/// A construct id is empty or contains `/`.
pub const INVALID_CONSTRUCT_ID: &str = "DM0390";
/// Two children of one construct have the same id.
pub const DUPLICATE_CONSTRUCT_ID: &str = "DM0391";
/// Two elements of one stack got the same logical id.
pub const LOGICAL_ID_COLLISION: &str = "DM0392";
/// Stack properties are invalid (name, account, region, tags, description).
pub const INVALID_STACK: &str = "DM0393";
/// A stack dependency is invalid (itself, unknown stack, or a cycle).
pub const INVALID_STACK_DEPENDENCY: &str = "DM0394";
/// A handle names no resource of this app.
pub const UNKNOWN_RESOURCE: &str = "DM0395";
/// Resource properties or a property override are not valid JSON objects or paths.
pub const INVALID_PROPERTIES: &str = "DM0396";
/// A file asset cannot be staged (unreadable source, wrong packaging, bad id).
pub const INVALID_ASSET: &str = "DM0397";
/// An element (parameter, output, condition) is invalid.
pub const INVALID_ELEMENT: &str = "DM0398";

/// More resources in one template than CloudFormation allows.
pub const TOO_MANY_RESOURCES: &str = "DM0401";
/// A template is larger than CloudFormation accepts.
pub const TEMPLATE_TOO_LARGE: &str = "DM0402";
/// More outputs in one template than CloudFormation allows.
pub const TOO_MANY_OUTPUTS: &str = "DM0403";
/// More parameters in one template than CloudFormation allows.
pub const TOO_MANY_PARAMETERS: &str = "DM0404";
/// A logical id breaks CloudFormation's rule `^[A-Za-z0-9]{1,255}$`.
pub const INVALID_LOGICAL_ID: &str = "DM0405";
/// More dynamic references (`{{resolve:...}}`) in one template than CloudFormation allows.
pub const TOO_MANY_DYNAMIC_REFERENCES: &str = "DM0406";
/// A `Ref`, `Fn::GetAtt` or `Fn::Sub` variable names nothing in the same template.
pub const DANGLING_REFERENCE: &str = "DM0407";
/// A `DependsOn` names no resource of the same template.
pub const DANGLING_DEPENDS_ON: &str = "DM0408";
/// A `Condition` (attribute, `Fn::If` or condition reference) names no condition of the template.
pub const DANGLING_CONDITION: &str = "DM0409";
/// A template description is longer than CloudFormation allows.
pub const DESCRIPTION_TOO_LONG: &str = "DM0410";
/// More rules on one event bus, over the stacks of one account and region, than
/// EventBridge allows by default (a warning).
pub const TOO_MANY_RULES_PER_BUS: &str = "DM0411";

/// The output directory is not empty and not a dpc assembly.
pub const FOREIGN_OUTPUT_DIR: &str = "DM0501";
/// Reading or writing a file failed.
pub const IO_ERROR: &str = "DM0502";
/// An extra assembly file has an unusable path or clashes with a rendered file.
pub const INVALID_ASSEMBLY_FILE: &str = "DM0503";
/// The output path is something other than a folder (a file, a FIFO, a socket, a device).
pub const OUTPUT_NOT_A_FOLDER: &str = "DM0504";
/// Another dpc kept writing the output folder for longer than this one waits.
pub const OUTPUT_LOCKED: &str = "DM0505";
