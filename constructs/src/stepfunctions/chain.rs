//! Chains: pieces of a state machine that are wired together in order.
//!
//! A [`Chain`] has a start state, its states, and its open ends (the states that go on
//! to whatever is chained next). [`Chain::then`] sets every open end's `Next` to the
//! following chain's start, like the CDK's `next()`; a chain that ends in `Succeed` or
//! `Fail` has no open end and cannot be continued. State names must be unique in the
//! whole state machine, and a duplicate is an error naming the state.

use super::asl::{Branch, Definition, State, Transition};
use indexmap::IndexMap;
use std::fmt;

/// The longest state name Step Functions accepts, in characters.
pub const MAX_STATE_NAME: usize = 80;

/// Why a chain could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainError {
    /// Two states have the same name.
    DuplicateState(String),
    /// A chain was continued although its last states do not allow it.
    NoOpenEnd(String),
    /// A state name is longer than Step Functions allows.
    NameTooLong(String),
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainError::DuplicateState(name) => write!(
                f,
                "state `{name}` occurs twice; all states of a state machine must have unique names"
            ),
            ChainError::NoOpenEnd(name) => write!(
                f,
                "cannot add to the chain starting at `{name}`: its last states end the execution"
            ),
            ChainError::NameTooLong(name) => write!(
                f,
                "state name `{name}` is longer than Step Functions' limit of {MAX_STATE_NAME} characters"
            ),
        }
    }
}

impl std::error::Error for ChainError {}

/// A piece of a state machine: a start state, states, and open ends.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    start: String,
    states: IndexMap<String, State>,
    ends: Vec<String>,
}

impl Chain {
    /// A chain of one state. Its open end is the state itself unless it is a `Choice`,
    /// `Succeed` or `Fail` (which have no `Next`).
    ///
    /// # Errors
    /// The name is longer than Step Functions allows.
    pub fn state(name: impl Into<String>, state: impl Into<State>) -> Result<Chain, ChainError> {
        let name = name.into();
        check_name(&name)?;
        let state = state.into();
        let ends = if state.transition().is_some() {
            vec![name.clone()]
        } else {
            Vec::new()
        };
        let mut states = IndexMap::new();
        states.insert(name.clone(), state);
        Ok(Chain {
            start: name,
            states,
            ends,
        })
    }

    /// The name of the first state.
    pub fn start(&self) -> &str {
        &self.start
    }

    /// The states, in the order they were added.
    pub fn states(&self) -> &IndexMap<String, State> {
        &self.states
    }

    /// The names of the states that continue into whatever is chained next.
    pub fn ends(&self) -> &[String] {
        &self.ends
    }

    /// Adds a state that is reached from inside the chain (by a `Catch`, a `Choice` or
    /// an explicit `Next`) rather than by chaining. If it has a transition still set to
    /// `End` and `open` is true, it becomes one of the chain's open ends.
    ///
    /// # Errors
    /// A state of that name is already in the chain, or the name is too long.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        state: impl Into<State>,
        open: bool,
    ) -> Result<(), ChainError> {
        let name = name.into();
        check_name(&name)?;
        if self.states.contains_key(&name) {
            return Err(ChainError::DuplicateState(name));
        }
        let state = state.into();
        if open && matches!(state.transition(), Some(Transition::End)) {
            self.ends.push(name.clone());
        }
        self.states.insert(name, state);
        Ok(())
    }

    /// Adds every state of `other` without wiring anything (its ends become ends of this
    /// chain). Used to place side paths, such as failure handling, next to a chain.
    ///
    /// # Errors
    /// A state name occurs in both.
    pub fn absorb(&mut self, other: Chain) -> Result<(), ChainError> {
        for (name, state) in other.states {
            if self.states.contains_key(&name) {
                return Err(ChainError::DuplicateState(name));
            }
            self.states.insert(name, state);
        }
        self.ends.extend(other.ends);
        Ok(())
    }

    /// Wires every open end to `next`'s start and returns the joined chain, whose open
    /// ends are `next`'s.
    ///
    /// # Errors
    /// This chain has no open end, or a state name occurs in both chains.
    pub fn then(mut self, next: Chain) -> Result<Chain, ChainError> {
        if self.ends.is_empty() {
            return Err(ChainError::NoOpenEnd(self.start));
        }
        for end in &self.ends {
            if let Some(t) = self.states.get_mut(end).and_then(State::transition_mut) {
                *t = Transition::Next(next.start.clone());
            }
        }
        for (name, state) in next.states {
            if self.states.contains_key(&name) {
                return Err(ChainError::DuplicateState(name));
            }
            self.states.insert(name, state);
        }
        self.ends = next.ends;
        Ok(self)
    }

    /// Chains one more state after this chain.
    ///
    /// # Errors
    /// As [`Chain::state`] and [`Chain::then`].
    pub fn then_state(
        self,
        name: impl Into<String>,
        state: impl Into<State>,
    ) -> Result<Chain, ChainError> {
        let next = Chain::state(name, state)?;
        self.then(next)
    }

    /// Joins chains in order.
    ///
    /// # Errors
    /// As [`Chain::then`]; `None` when `chains` is empty.
    pub fn sequence(chains: Vec<Chain>) -> Option<Result<Chain, ChainError>> {
        let mut iter = chains.into_iter();
        let first = iter.next()?;
        Some(iter.try_fold(first, Chain::then))
    }

    /// The chain as a `Parallel` branch; open ends end the branch.
    pub fn into_branch(self, comment: Option<String>) -> Branch {
        Branch {
            comment,
            start_at: self.start,
            states: self.states,
        }
    }

    /// The chain as a whole definition; open ends end the execution.
    pub fn into_definition(
        self,
        comment: Option<String>,
        timeout_seconds: Option<u64>,
    ) -> Definition {
        Definition {
            comment,
            query_language: None,
            start_at: self.start,
            states: self.states,
            timeout_seconds,
        }
    }
}

fn check_name(name: &str) -> Result<(), ChainError> {
    if name.chars().count() > MAX_STATE_NAME || name.is_empty() {
        return Err(ChainError::NameTooLong(name.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stepfunctions::asl::{Fail, Pass, Succeed};
    use serde_json::json;

    fn pass() -> Pass {
        Pass::result(json!(1), crate::stepfunctions::asl::ResultPath::Discard)
    }

    #[test]
    fn then_wires_open_ends_and_rejects_duplicates() {
        let chain = Chain::state("a", pass())
            .unwrap()
            .then_state("b", pass())
            .unwrap()
            .then_state("done", Succeed::default())
            .unwrap();
        assert_eq!(
            chain.states()["a"].transition(),
            Some(&Transition::Next("b".into()))
        );
        assert!(chain.ends().is_empty());
        assert_eq!(
            chain.clone().then_state("c", pass()),
            Err(ChainError::NoOpenEnd("a".into()))
        );
        let dup = Chain::state("x", pass()).unwrap().then_state("x", pass());
        assert_eq!(dup, Err(ChainError::DuplicateState("x".into())));
        let long = "n".repeat(81);
        assert_eq!(
            Chain::state(long.clone(), Fail::default()),
            Err(ChainError::NameTooLong(long))
        );
    }
}
