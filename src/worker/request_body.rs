//! A request's body, read into a JavaScript buffer no further than its call's limit.

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStreamDefaultReader;

use super::header;
use crate::api::invalid::BodyError;
use crate::edge::EdgeError;
use crate::edge::routes::{BodyPart, body_part, declared_length};

/// Reads the body into a JavaScript buffer, and refuses it when it is over `limit`.
pub(super) async fn read_body(
    request: &web_sys::Request,
    headers: &web_sys::Headers,
    limit: usize,
) -> Result<Object, EdgeError> {
    let too_large = EdgeError::BodyTooLarge { limit };
    let unreadable = |_| BodyError::Unreadable;
    let declared = declared_length(header(headers, "Content-Length").as_deref());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large);
    }
    if declared.is_some() {
        // The runtime enforces a declared length, so the body can be taken whole.
        let buffer = JsFuture::from(request.array_buffer().map_err(unreadable)?).await;
        return Ok(buffer.map_err(unreadable)?.unchecked_into());
    }
    let Some(stream) = request.body() else {
        return Ok(Uint8Array::new_with_length(0).into());
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut body = Vec::new();
    let mut received = 0;
    loop {
        let read = JsFuture::from(reader.read()).await.map_err(unreadable)?;
        if Reflect::get(&read, &"done".into()).is_ok_and(|done| done.is_truthy()) {
            return match body_part(received, limit) {
                BodyPart::Keep => Ok(Uint8Array::from(body.as_slice()).into()),
                BodyPart::Drop | BodyPart::Refuse => Err(too_large),
            };
        }
        let chunk: Uint8Array = Reflect::get(&read, &"value".into())
            .map_err(unreadable)?
            .dyn_into()
            .map_err(unreadable)?;
        received += chunk.length() as usize;
        match body_part(received, limit) {
            BodyPart::Keep => {
                let start = body.len();
                body.resize(received, 0);
                chunk.copy_to(&mut body[start..]);
            }
            BodyPart::Drop => {}
            BodyPart::Refuse => return Err(too_large),
        }
    }
}
