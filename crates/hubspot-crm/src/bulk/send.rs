//! Sending the requests of a bulk operation: inputs in chunks a few at a time, and a chunk
//! HubSpot refuses whole sent again in halves.

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use futures::future::BoxFuture;

use super::keys::TieKey;
use super::settle::settle;
use super::*;
use crate::error::{ApiError, Error, Result};
use crate::model::{BatchResponse, Record};

/// Ties an input to the answers that can name it.
pub(super) type KeysOf<'a, I> = Box<dyn Fn(&I) -> Vec<TieKey> + Send + Sync + 'a>;

/// Sends one request's inputs.
pub(super) type SendBatch<'a, I> =
    Box<dyn Fn(Vec<I>) -> BoxFuture<'a, Result<BatchResponse>> + Send + Sync + 'a>;

/// Which input of a request a whole-batch 409 is about, told from the record it names.
pub(crate) trait ConflictLocator<I>: Sync {
    /// The position among `inputs` of the one whose unique value record `existing_id`
    /// holds; `None` when it cannot be told.
    fn locate<'a>(&'a self, existing_id: &'a str, inputs: &'a [I]) -> BoxFuture<'a, Option<usize>>;
}

/// How one kind of batch request is sent and its answer tied back to its inputs.
pub(super) struct Batches<'a, I> {
    pub(super) object_type: &'a str,
    pub(super) id_properties: &'a [String],
    pub(super) keys: KeysOf<'a, I>,
    pub(super) send: SendBatch<'a, I>,
    pub(super) split_refused: bool,
    pub(super) locate: Option<&'a dyn ConflictLocator<I>>,
}

impl<I: Clone + Send + Sync> Batches<'_, I> {
    /// Sends one request's inputs and ties the answer to them; a request HubSpot refuses
    /// whole goes on as [`Self::after_refusal`] says.
    pub(super) fn send(&self, chunk: Chunk<I>) -> BoxFuture<'_, Outcomes<I>> {
        Box::pin(async move {
            match (self.send)(chunk.inputs.clone()).await {
                Err(Error::Api(api)) if self.split_refused && api.refused_whole() => {
                    self.after_refusal(chunk, *api).await
                }
                answer => {
                    let keys = chunk.inputs.iter().map(|i| (self.keys)(i)).collect();
                    settle(chunk, keys, self.id_properties, self.object_type, answer)
                }
            }
        })
    }

    /// A request refused whole applied nothing: a single input gets the refusal as its own
    /// error; a 409 whose record tells which input holds the value fails that one and sends
    /// the rest; otherwise the halves are sent, one after the other (the call's concurrency
    /// holds), down to single inputs.
    async fn after_refusal(&self, chunk: Chunk<I>, refusal: ApiError) -> Outcomes<I> {
        if chunk.len() == 1 {
            return rejected(chunk, refusal);
        }
        if let Some(position) = self.locate_conflict(&chunk, &refusal).await {
            let (one, rest) = chunk.take(position);
            tracing::info!(
                object_type = self.object_type,
                item = one.indexes[0],
                existing_id = refusal.existing_id(),
                "batch refused for a taken unique value; the rest is sent without the input holding it"
            );
            let mut outcomes = rejected(one, refusal);
            outcomes.append(self.send(rest).await);
            return outcomes;
        }
        tracing::info!(
            object_type = self.object_type,
            first_item = chunk.indexes[0],
            items = chunk.len(),
            status = refusal.status,
            category = refusal.category.as_deref(),
            "batch refused whole, nothing written; sending it again in halves"
        );
        let (left, right) = chunk.halves();
        let mut outcomes = self.send(left).await;
        outcomes.append(self.send(right).await);
        outcomes
    }

    async fn locate_conflict(&self, chunk: &Chunk<I>, refusal: &ApiError) -> Option<usize> {
        let locate = self.locate?;
        let existing = refusal.existing_id()?;
        locate
            .locate(existing, &chunk.inputs)
            .await
            .filter(|&p| p < chunk.len())
    }
}

/// Every input of `chunk` failed with HubSpot's refusal as its own error.
pub(super) fn rejected<I, T>(chunk: Chunk<I>, refusal: ApiError) -> Outcomes<I, T> {
    let refusal = Arc::new(refusal);
    fail_each(chunk, || FailureCause::Rejected(refusal.clone()))
}

/// Every input of `chunk` failed with the cause `cause` gives.
fn fail_each<I, T>(chunk: Chunk<I>, cause: impl Fn() -> FailureCause) -> Outcomes<I, T> {
    let mut outcomes = Outcomes::default();
    for (index, input) in chunk.indexes.into_iter().zip(chunk.inputs) {
        let error = ItemError {
            index,
            input,
            cause: cause(),
        };
        outcomes.outcomes.push((index, ItemOutcome::Failed(error)));
    }
    outcomes
}

/// The inputs of one request, with their positions in the caller's input.
pub(super) struct Chunk<I> {
    pub(super) indexes: Vec<usize>,
    pub(super) inputs: Vec<I>,
}

impl<I> Chunk<I> {
    pub(super) fn len(&self) -> usize {
        self.inputs.len()
    }

    /// The first half and the rest.
    pub(super) fn halves(mut self) -> (Chunk<I>, Chunk<I>) {
        let at = self.len() / 2;
        let right = Chunk {
            indexes: self.indexes.split_off(at),
            inputs: self.inputs.split_off(at),
        };
        (self, right)
    }

    /// The input at `position` on its own, and the others.
    pub(super) fn take(mut self, position: usize) -> (Chunk<I>, Chunk<I>) {
        let one = Chunk {
            indexes: vec![self.indexes.remove(position)],
            inputs: vec![self.inputs.remove(position)],
        };
        (one, self)
    }
}

/// Outcomes with their inputs' positions, gathered in any order.
pub(super) struct Outcomes<I, T = Record> {
    pub(super) outcomes: Vec<(usize, ItemOutcome<I, T>)>,
    pub(super) unmatched_results: Vec<Record>,
    pub(super) unmatched_errors: Vec<Arc<BatchItemError>>,
}

impl<I, T> Default for Outcomes<I, T> {
    fn default() -> Self {
        Outcomes {
            outcomes: Vec::new(),
            unmatched_results: Vec::new(),
            unmatched_errors: Vec::new(),
        }
    }
}

impl<I, T> Outcomes<I, T> {
    pub(super) fn succeeded(values: impl Iterator<Item = (usize, T)>) -> Self {
        Outcomes {
            outcomes: values
                .map(|(index, value)| (index, ItemOutcome::Succeeded(value)))
                .collect(),
            ..Outcomes::default()
        }
    }

    pub(super) fn append(&mut self, mut other: Outcomes<I, T>) {
        self.outcomes.append(&mut other.outcomes);
        self.unmatched_results.append(&mut other.unmatched_results);
        self.unmatched_errors.append(&mut other.unmatched_errors);
    }

    /// In input order.
    pub(super) fn into_result(mut self) -> BulkResult<I, T> {
        self.outcomes.sort_by_key(|(index, _)| *index);
        BulkResult {
            outcomes: self.outcomes.into_iter().map(|(_, o)| o).collect(),
            unmatched_results: self.unmatched_results,
            unmatched_errors: self.unmatched_errors,
        }
    }
}

/// Splits `inputs` into requests of at most `chunk_size` and runs at most `concurrency` at a
/// time. Every check is made before: nothing here can reject an input.
pub(super) async fn run_chunks<I, T, F, Fut>(
    inputs: Vec<(usize, I)>,
    chunk_size: usize,
    concurrency: usize,
    send: F,
) -> Outcomes<I, T>
where
    F: FnMut(Chunk<I>) -> Fut,
    Fut: Future<Output = Outcomes<I, T>>,
{
    let chunk_size = chunk_size.max(1);
    let mut chunks = Vec::with_capacity(inputs.len().div_ceil(chunk_size));
    let mut rest = inputs.into_iter().peekable();
    while rest.peek().is_some() {
        let (indexes, inputs) = rest.by_ref().take(chunk_size).unzip();
        chunks.push(Chunk { indexes, inputs });
    }
    let mut answers =
        futures::stream::iter(chunks.into_iter().map(send)).buffered(concurrency.max(1));
    let mut result = Outcomes::default();
    while let Some(part) = answers.next().await {
        result.append(part);
    }
    result
}

pub(super) fn fail_all<I, T>(chunk: Chunk<I>, object_type: &str, error: Error) -> Outcomes<I, T> {
    // The request's own span names its generated operation; this names the bulk call's inputs.
    tracing::warn!(object_type, first_item = chunk.indexes.first(), items = chunk.len(), error = %error, "batch request failed");
    let error = Arc::new(error);
    fail_each(chunk, || FailureCause::RequestFailed(error.clone()))
}
