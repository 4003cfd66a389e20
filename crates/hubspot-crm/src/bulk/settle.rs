//! Settling one batch answer: each result and error tied to the input it names, and every
//! input's outcome.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::keys::{TieKey, error_keys, result_keys};
use super::send::{Chunk, Outcomes, fail_all};
use super::*;
use crate::error::Result;
use crate::model::{BatchResponse, Record};

/// What a batch answer said of one input.
#[derive(Default)]
pub(super) struct Answered {
    pub(super) result: Option<Record>,
    pub(super) error: Option<Arc<BatchItemError>>,
}

impl Answered {
    pub(super) fn is_open(&self) -> bool {
        self.result.is_none() && self.error.is_none()
    }
}

/// Which input each key names; a key claimed by two inputs (impossible after validation)
/// names none.
pub(super) struct KeyIndex(HashMap<TieKey, Option<usize>>);

impl KeyIndex {
    pub(super) fn new(keys: Vec<Vec<TieKey>>) -> Self {
        let mut index = HashMap::new();
        for (position, input_keys) in keys.into_iter().enumerate() {
            for key in input_keys {
                index
                    .entry(key)
                    .and_modify(|p| *p = None)
                    .or_insert(Some(position));
            }
        }
        KeyIndex(index)
    }

    /// The inputs the `candidates` name.
    pub(super) fn positions(&self, candidates: &[TieKey]) -> HashSet<usize> {
        candidates
            .iter()
            .filter_map(|key| self.0.get(key).copied().flatten())
            .collect()
    }
}

/// A batch answer sorted by the input each result and error names.
pub(super) struct Tally {
    pub(super) answered: Vec<Answered>,
    /// Named several inputs, or an input already answered.
    pub(super) unmatched_results: Vec<Record>,
    pub(super) unmatched_errors: Vec<Arc<BatchItemError>>,
    /// Named no input at all.
    pub(super) nameless_results: Vec<Record>,
    pub(super) nameless_errors: Vec<Arc<BatchItemError>>,
}

impl Tally {
    pub(super) fn new(inputs: usize) -> Self {
        Tally {
            answered: (0..inputs).map(|_| Answered::default()).collect(),
            unmatched_results: Vec::new(),
            unmatched_errors: Vec::new(),
            nameless_results: Vec::new(),
            nameless_errors: Vec::new(),
        }
    }

    /// An error goes to every input it names that has none yet.
    pub(super) fn add_error(
        &mut self,
        error: BatchItemError,
        index: &KeyIndex,
        id_properties: &[String],
    ) {
        let error = Arc::new(error);
        let positions = index.positions(&error_keys(&error, id_properties));
        if positions.is_empty() {
            self.nameless_errors.push(error);
            return;
        }
        let mut attached = false;
        for position in positions {
            if let Some(answered) = self.answered.get_mut(position)
                && answered.error.is_none()
            {
                answered.error = Some(error.clone());
                attached = true;
            }
        }
        if !attached {
            self.unmatched_errors.push(error);
        }
    }

    /// A result goes to the one input it names, if it has none yet.
    pub(super) fn add_result(
        &mut self,
        record: Record,
        index: &KeyIndex,
        id_properties: &[String],
    ) {
        let positions = index.positions(&result_keys(&record, id_properties));
        let mut only = positions.iter().copied();
        match (only.next(), only.next()) {
            (Some(position), None) => match self.answered.get_mut(position) {
                Some(answered) if answered.result.is_none() => answered.result = Some(record),
                _ => self.unmatched_results.push(record),
            },
            (None, _) => self.nameless_results.push(record),
            (Some(_), Some(_)) => self.unmatched_results.push(record),
        }
    }

    /// One open input and one answer naming nothing, in an answer otherwise in order: the
    /// answer can only be that input's (e.g. a record returned under the id it was merged
    /// into). What stays nameless is unmatched.
    pub(super) fn settle_nameless(&mut self) {
        let open: Vec<usize> = (0..self.answered.len())
            .filter(|&p| self.answered[p].is_open())
            .collect();
        if let [position] = open[..]
            && self.unmatched_results.is_empty()
            && self.unmatched_errors.is_empty()
        {
            if self.nameless_results.len() == 1 && self.nameless_errors.is_empty() {
                self.answered[position].result = self.nameless_results.pop();
            } else if self.nameless_errors.len() == 1 && self.nameless_results.is_empty() {
                self.answered[position].error = self.nameless_errors.pop();
            }
        }
        self.unmatched_results.append(&mut self.nameless_results);
        self.unmatched_errors.append(&mut self.nameless_errors);
    }
}

/// Ties one batch answer to the inputs of its request.
pub(super) fn settle<I>(
    chunk: Chunk<I>,
    keys: Vec<Vec<TieKey>>,
    id_properties: &[String],
    object_type: &str,
    answer: Result<BatchResponse>,
) -> Outcomes<I> {
    let response = match answer {
        Ok(response) => response,
        Err(error) => return fail_all(chunk, object_type, error),
    };
    let index = KeyIndex::new(keys);
    let mut tally = Tally::new(chunk.len());
    for error in response.errors {
        tally.add_error(error, &index, id_properties);
    }
    for record in response.results {
        tally.add_result(record, &index, id_properties);
    }
    tally.settle_nameless();
    outcomes_of(chunk, tally, object_type)
}

/// Each input's outcome from what the answer said of it; logs what the answer left open.
pub(super) fn outcomes_of<I>(chunk: Chunk<I>, tally: Tally, object_type: &str) -> Outcomes<I> {
    let first_item = chunk.indexes.first().copied();
    let Tally {
        answered,
        mut unmatched_results,
        unmatched_errors,
        ..
    } = tally;
    let mut not_confirmed = 0;
    let mut outcomes = Vec::with_capacity(answered.len());
    for ((index, input), answered) in chunk.indexes.into_iter().zip(chunk.inputs).zip(answered) {
        let cause = match answered {
            Answered {
                result: Some(record),
                error: None,
            } => {
                outcomes.push((index, ItemOutcome::Succeeded(record)));
                continue;
            }
            // HubSpot both confirmed and rejected it: report the rejection, keep the record.
            Answered {
                error: Some(error),
                result,
            } => {
                unmatched_results.extend(result);
                FailureCause::Rejected(error)
            }
            Answered {
                result: None,
                error: None,
            } => {
                not_confirmed += 1;
                FailureCause::NotConfirmed {
                    unattributed_errors: unmatched_errors.clone(),
                }
            }
        };
        let error = ItemError {
            index,
            input,
            cause,
        };
        outcomes.push((index, ItemOutcome::Failed(error)));
    }
    if not_confirmed > 0 || !unmatched_results.is_empty() || !unmatched_errors.is_empty() {
        tracing::warn!(
            object_type,
            first_item,
            not_confirmed,
            unmatched_results = unmatched_results.len(),
            unmatched_errors = unmatched_errors.len(),
            "batch answer did not account for every input"
        );
    }
    Outcomes {
        outcomes,
        unmatched_results,
        unmatched_errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::keys::check_unique;

    pub(super) fn record(id: &str, trace: Option<&str>) -> Record {
        let object: hubspot_crm_api::shared::SimplePublicObject =
            serde_json::from_value(serde_json::json!({
                "id": id,
                "properties": {},
                "createdAt": "2026-01-01T00:00:00Z",
                "updatedAt": "2026-01-01T00:00:00Z",
                "archived": false,
                "objectWriteTraceId": trace,
            }))
            .unwrap();
        Record::from(object)
    }

    /// A chunk of ids whose first input is item `start` of the call.
    pub(super) fn ids(start: usize, list: &[&str]) -> (Chunk<String>, Vec<Vec<TieKey>>) {
        let inputs: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        let keys = inputs
            .iter()
            .map(|id| vec![TieKey::Id(id.clone())])
            .collect();
        let indexes = (start..start + inputs.len()).collect();
        (Chunk { indexes, inputs }, keys)
    }

    pub(super) fn response(
        results: Vec<Record>,
        errors: Vec<BatchItemError>,
    ) -> Result<BatchResponse> {
        Ok(BatchResponse { results, errors })
    }

    #[test]
    pub(super) fn a_result_for_two_inputs_or_twice_for_one_is_never_counted_twice() {
        let (chunk, keys) = ids(10, &["1", "2", "3"]);
        let answer = response(
            vec![
                record("1", None),
                record("1", None),
                record("99", None),
                record("2", None),
            ],
            vec![],
        );
        let result = settle(chunk, keys, &[], "leads", answer).into_result();
        assert_eq!(result.outcomes.len(), 3);
        assert_eq!(result.outcomes[0].succeeded().unwrap().id, "1");
        assert_eq!(result.outcomes[1].succeeded().unwrap().id, "2");
        // Input 3 is open but two answers could be its: neither the extra "1" nor "99" is
        // guessed to be it.
        let third = result.outcomes[2].failed().unwrap();
        assert_eq!(third.index, 12);
        assert!(matches!(third.cause, FailureCause::NotConfirmed { .. }));
        let unmatched: Vec<&str> = result
            .unmatched_results
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(unmatched, ["1", "99"]);
    }

    #[test]
    pub(super) fn the_last_open_input_takes_the_only_nameless_answer() {
        let (chunk, keys) = ids(0, &["1", "2"]);
        let answer = response(vec![record("1", None), record("77", None)], vec![]);
        let result = settle(chunk, keys, &[], "leads", answer).into_result();
        assert!(result.is_complete_success());
        assert_eq!(result.outcomes[1].succeeded().unwrap().id, "77");
        assert!(result.unmatched_results.is_empty());
    }

    #[test]
    pub(super) fn a_rejection_wins_over_a_confirmation_and_the_record_is_kept() {
        let (chunk, keys) = ids(0, &["5"]);
        let error = BatchItemError {
            category: Some("VALIDATION_ERROR".into()),
            context: [("ids".to_owned(), vec!["5".to_owned()])].into(),
            ..Default::default()
        };
        let answer = response(vec![record("5", None)], vec![error]);
        let result = settle(chunk, keys, &[], "leads", answer).into_result();
        assert!(matches!(
            result.outcomes[0].failed().unwrap().cause,
            FailureCause::Rejected(_)
        ));
        assert_eq!(result.unmatched_results.len(), 1);
    }

    #[test]
    pub(super) fn duplicate_keys_name_both_items() {
        let mut seen = HashMap::new();
        check_unique(&mut seen, TieKey::Id("7".into()), 2, "id").unwrap();
        let e = check_unique(&mut seen, TieKey::Id("7".into()), 9, "id").unwrap_err();
        assert_eq!(e.item, Some(9));
        assert!(e.reason.contains("item 2"), "{}", e.reason);
    }
}
