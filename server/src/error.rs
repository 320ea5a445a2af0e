//! Every refusal is an `ErrorBody`: a stable code and an Indonesian message with no personal
//! data. Internal failures are logged by kind only and answered 500, which the phone retries.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use perlinsos_protocol::wire::{ErrorBody, ErrorCode, HEADER_ERROR};

#[derive(Debug)]
pub struct ApiError(pub ErrorCode);

impl ApiError {
    fn status(&self) -> StatusCode {
        match self.0 {
            ErrorCode::EnrollCodeInvalid
            | ErrorCode::DeviceUnknown
            | ErrorCode::SignatureInvalid
            | ErrorCode::RequestStale
            | ErrorCode::RequestReplayed => StatusCode::UNAUTHORIZED,
            ErrorCode::OutOfScope | ErrorCode::DeviceRevoked | ErrorCode::HandoverNotAllowed => {
                StatusCode::FORBIDDEN
            }
            ErrorCode::BlobOffsetInvalid => StatusCode::CONFLICT,
            ErrorCode::BlobTooLarge | ErrorCode::BatchTooLarge | ErrorCode::BodyTooLarge => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ErrorCode::QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.0,
            message: self.0.message().to_owned(),
        };
        // HEAD answers carry no body: the code travels in a header as well.
        (self.status(), [(HEADER_ERROR, self.0.name())], Json(body)).into_response()
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> ApiError {
        // The message names the database and its error code, never a value.
        tracing::error!(kind = "database", error = %e.0);
        ApiError(ErrorCode::Internal)
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> ApiError {
        tracing::error!(kind = "io", error = ?e.kind());
        ApiError(ErrorCode::Internal)
    }
}
