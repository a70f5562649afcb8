# Shared by the bash scripts in scripts/: repository paths, logging, timing
# and the DPC_SKIP switch. Source it; it defines functions and variables only.

DPC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DPC_TOOLS="$DPC_ROOT/.tools"
DPC_VENV="$DPC_TOOLS/venv"
DPC_PYTHON="$DPC_VENV/bin/python"
DPC_NODE_MODULES="$DPC_ROOT/tools/node_modules"
DPC_NODE="$DPC_TOOLS/node"

# Every tool a script runs is a pinned one, by absolute path; these variables would
# let the caller's shell swap a pinned tool's modules or code for others (a global
# cfnlint first on PYTHONPATH, NODE_OPTIONS=--require), so no script inherits them.
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP PYTHONUSERBASE NODE_OPTIONS NODE_PATH

# CI runs everything: a skip list only counts on a developer's machine.
dpc_is_ci() {
    case "${CI:-}" in
        "" | 0 | false | False | FALSE) return 1 ;;
        *) return 0 ;;
    esac
}

# dpc_skipped NAME: true when NAME is in the comma-separated DPC_SKIP list.
dpc_skipped() {
    local name="$1" item
    [[ -n "${DPC_SKIP:-}" ]] || return 1
    if dpc_is_ci; then
        return 1
    fi
    IFS=',' read -r -a _dpc_skip_items <<<"$DPC_SKIP"
    for item in "${_dpc_skip_items[@]}"; do
        [[ "${item// /}" == "$name" ]] && return 0
    done
    return 1
}

dpc_log() { printf '%s\n' "$*" >&2; }
dpc_die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# Seconds since the epoch with milliseconds, for step timings.
dpc_now() { printf '%s' "${EPOCHREALTIME:-$(date +%s)}"; }

# dpc_elapsed START: seconds since START, one decimal.
dpc_elapsed() {
    awk -v a="$1" -v b="$(dpc_now)" 'BEGIN { printf "%.1f", b - a }'
}

# The tools must exist before a script that needs them runs; installing is
# scripts/install-tools' job, so say so instead of installing behind the back.
dpc_require_tools() {
    if [[ ! -x "$DPC_PYTHON" || ! -d "$DPC_NODE_MODULES" || ! -x "$DPC_NODE" ]]; then
        dpc_die "the pinned tools are not installed; run scripts/install-tools (scripts/test does it for you)"
    fi
}
