//! One call's transport and its record: what happened on the wire, written as the call ends
//! and read back into this crate's result once the generated method returns.

use std::sync::{Arc, Mutex};

use hubspot_crm_api::Operation;
use progenitor_client::ResponseValue;

use crate::auth::Secret;
use crate::error::{ApiError, AuthError, Error, Result, truncate};
use crate::retry::may_have_been_processed;

use super::Shared;
use super::attempt::{Admitted, Attempts, bearer};
use super::classify::{Cause, Outcome, Rejected, WithoutUrlRef, may_have_reached_hubspot, rebuild};

/// What the transport learned while sending one call's request.
#[derive(Debug, Default)]
pub(crate) struct CallRecord {
    /// Status of the final answer.
    pub(crate) status: Option<u16>,
    /// The final error answer, read in full (the generated client only keeps JSON bodies).
    pub(crate) error: Option<ApiError>,
    /// Set when a non-idempotent request failed after it may have reached HubSpot.
    pub(crate) outcome_unknown: bool,
    /// Whether the request may be resent after reaching HubSpot.
    pub(crate) idempotent: bool,
    /// Attempts made.
    pub(crate) attempts: u32,
    /// The generated operation the request belongs to, once it was sent.
    pub(crate) operation: Option<Operation>,
    /// A failure the transport decided on, which no answer the generated client sees can
    /// express; it wins over whatever the generated method returns.
    pub(crate) failure: Option<Failure>,
    /// Why the limiter did not let the request go at all: the generated method failed with
    /// its text ([`progenitor_client::Error::Custom`]), and this is the typed error.
    pub(crate) refused: Option<Error>,
}

/// A failure decided by the transport.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The answer's body was over the cap.
    BodyTooLarge { limit: u64, status: u16 },
    /// After a 401, no new token could be had.
    Auth(AuthError),
}

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Failure::BodyTooLarge { limit, status } => Error::BodyTooLarge { limit, status },
            Failure::Auth(error) => Error::Auth(error),
        }
    }
}

/// The transport of one call: the generated client is built per call around it, so that what
/// happened on the wire can be read back after the generated method returns.
#[derive(Debug)]
pub(crate) struct Call {
    pub(super) shared: Arc<Shared>,
    pub(super) token: Secret,
    pub(crate) record: Mutex<CallRecord>,
    /// The first attempt, let go by the limiters and not sent yet: from
    /// [`Transport::admit`](hubspot_crm_api::Transport::admit) to
    /// [`Transport::execute`](hubspot_crm_api::Transport::execute).
    pub(super) admitted: Mutex<Option<Admitted>>,
}

impl Call {
    pub(crate) async fn start(shared: &Arc<Shared>) -> Result<Arc<Call>> {
        let token = shared.auth.token().await?;
        if bearer(&token).is_none() {
            return Err(Error::validation(
                "access_token",
                "contains characters not allowed in an HTTP header",
            ));
        }
        Ok(Arc::new(Call {
            shared: shared.clone(),
            token,
            record: Mutex::new(CallRecord::default()),
            admitted: Mutex::new(None),
        }))
    }

    pub(super) fn record(&self) -> std::sync::MutexGuard<'_, CallRecord> {
        self.record
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The HTTP status of the final answer (200 when none was recorded).
    pub(crate) fn status(&self) -> u16 {
        self.record().status.unwrap_or(200)
    }

    /// Turns the generated method's result into this crate's result. `inputs` names what was
    /// sent, for an [`Error::OutcomeUnknown`].
    pub(crate) fn finish<T, E>(
        &self,
        result: std::result::Result<ResponseValue<T>, progenitor_client::Error<E>>,
        inputs: impl FnOnce() -> Vec<String>,
    ) -> Result<T> {
        let mut record = self.record();
        let operation = match record.operation {
            Some(op) => format!("{}.{}", op.module, op.name),
            None => "request".to_owned(),
        };
        let operation = operation.as_str();
        let unknown = |cause: String| Error::OutcomeUnknown {
            operation: operation.to_owned(),
            inputs: inputs(),
            cause,
        };
        if let Some(failure) = record.failure.take() {
            let error = failure.into_error();
            return Err(if record.outcome_unknown {
                unknown(error.to_string())
            } else {
                error
            });
        }
        let error = match result {
            Ok(value) => return Ok(value.into_inner()),
            Err(error) => error,
        };
        if let Some(api) = record.error.take() {
            return Err(if record.outcome_unknown {
                unknown(api.to_string())
            } else {
                Error::from(api)
            });
        }
        Err(generated_error(&mut record, error, unknown))
    }

    /// Ends the call with `outcome`: records what happened for [`Call::finish`].
    pub(super) fn give_up(
        &self,
        state: &Attempts,
        outcome: Outcome,
    ) -> reqwest::Result<reqwest::Response> {
        let limit = self.shared.max_body_bytes;
        match outcome {
            Outcome::Answered(response) => {
                self.record().status = Some(response.status().as_u16());
                tracing::debug!("HubSpot answered");
                Ok(response)
            }
            Outcome::TooLarge { status, headers } => {
                tracing::warn!(
                    status = status.as_u16(),
                    limit,
                    "the answer's body is over the cap; not read"
                );
                let mut record = self.record();
                record.status = Some(status.as_u16());
                // A create answered with a 2xx was carried out.
                record.outcome_unknown = !state.idempotent;
                record.failure = Some(Failure::BodyTooLarge {
                    limit,
                    status: status.as_u16(),
                });
                Ok(rebuild(status, headers, bytes::Bytes::new()))
            }
            Outcome::Rejected(rejected)
            | Outcome::Retry {
                cause: Cause::Rejected(rejected),
                ..
            } => {
                tracing::debug!("HubSpot answered an error");
                let mut record = self.record();
                record.status = Some(rejected.status.as_u16());
                record.outcome_unknown =
                    !state.idempotent && may_have_been_processed(rejected.status.as_u16());
                let Rejected {
                    status,
                    headers,
                    body,
                    too_large,
                    error,
                } = *rejected;
                if too_large {
                    record.failure = Some(Failure::BodyTooLarge {
                        limit,
                        status: status.as_u16(),
                    });
                }
                record.error = Some(error);
                Ok(rebuild(status, headers, body))
            }
            Outcome::Failed(error)
            | Outcome::Retry {
                cause: Cause::Failed(error),
                ..
            } => {
                tracing::debug!(error = %error.without_url_ref(), "request failed");
                if may_have_reached_hubspot(&error) && !state.idempotent {
                    self.record().outcome_unknown = true;
                }
                Err(error)
            }
        }
    }
}

/// This crate's error for a generated method's `error`, with what the transport recorded;
/// `unknown` makes an [`Error::OutcomeUnknown`] of a cause.
fn generated_error<E>(
    record: &mut CallRecord,
    error: progenitor_client::Error<E>,
    unknown: impl FnOnce(String) -> Error,
) -> Error {
    match error {
        progenitor_client::Error::CommunicationError(e) => {
            let e = e.without_url();
            if record.outcome_unknown {
                unknown(e.to_string())
            } else {
                Error::Transport(e)
            }
        }
        progenitor_client::Error::ResponseBodyError(e) => {
            let e = e.without_url();
            // HubSpot did the work; only its answer was lost.
            if !record.idempotent {
                unknown(format!(
                    "HTTP {} but the answer could not be read: {e}",
                    record.status.unwrap_or_default()
                ))
            } else {
                Error::Transport(e)
            }
        }
        // HubSpot did the work of a create answered with a 2xx, whatever the body says
        // (an HTML page from a captive proxy, a 204, a record missing a field).
        progenitor_client::Error::InvalidResponsePayload(_, e) if !record.idempotent => {
            unknown(format!(
                "HTTP {} but the answer does not parse: {e}",
                record.status.unwrap_or_default()
            ))
        }
        progenitor_client::Error::InvalidResponsePayload(body, e) => Error::Decode {
            status: record.status.unwrap_or_default(),
            message: e.to_string(),
            body: truncate(&body),
        },
        progenitor_client::Error::UnexpectedResponse(response) => Error::from(
            ApiError::from_response(response.status().as_u16(), b"", None),
        ),
        progenitor_client::Error::ErrorResponse(response) => Error::from(ApiError::from_response(
            response.status().as_u16(),
            b"",
            None,
        )),
        // Only the transport's refusal to send fails a hook.
        progenitor_client::Error::Custom(reason) => record
            .refused
            .take()
            .unwrap_or_else(|| Error::validation("request", reason)),
        progenitor_client::Error::InvalidRequest(message) => Error::validation("request", message),
        progenitor_client::Error::InvalidUpgrade(e) => Error::Transport(e.without_url()),
    }
}
