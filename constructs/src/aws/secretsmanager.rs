//! Secrets Manager, by reference only: dpc never creates a secret or writes a secret value
//! into a template; it grants access to secrets that exist, by name.

use dpc_core::Expr;

/// The ARN pattern of a secret known by name in this stack's account and region:
/// `arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:<name>-??????`.
///
/// Secrets Manager appends `-` and six random characters to every secret's ARN, so a policy
/// naming a secret by name must end in `-??????` (exactly six characters, never `*`, which
/// would also match `<name>-other-secret`).
pub fn secret_arn(name: &str) -> Expr {
    crate::aws::iam::local_arn("secretsmanager", &format!("secret:{name}-??????"))
}
