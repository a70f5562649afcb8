//! Typed CloudFormation resources (L1) and constructs with secure defaults (L2), one module per AWS service.
