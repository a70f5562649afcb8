//! The account setup stack `dpc-account-<alias>`, one per user account.
