//! S3: one object per instance. Small objects go up in one PUT; anything past one
//! part becomes a multipart upload, sent part by part as the data arrives, and is
//! aborted on any failure so no partial object or orphaned parts remain.

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CompletedMultipartUpload, CompletedPart, CreateBucketConfiguration};
use bytes::{Bytes, BytesMut};

use crate::domain::ObjectKey;
use crate::ports::{ObjectReader, ObjectStore, ObjectWriter, StoreError, StoredObject};

#[derive(Debug, Clone)]
pub struct S3ObjectStore {
    client: Client,
    bucket: String,
    part_size: usize,
}

impl S3ObjectStore {
    pub fn new(client: Client, bucket: String, part_size: usize) -> Self {
        Self { client, bucket, part_size }
    }
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    async fn begin_write(&self, key: &ObjectKey) -> Result<Box<dyn ObjectWriter>, StoreError> {
        Ok(Box::new(S3Writer {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: key.as_str().to_owned(),
            content_type: key.content_type(),
            part_size: self.part_size,
            buffer: BytesMut::new(),
            upload: None,
            size: 0,
        }))
    }

    async fn read(&self, key: &ObjectKey) -> Result<Option<ObjectReader>, StoreError> {
        match self.client.get_object().bucket(&self.bucket).key(key.as_str()).send().await {
            Ok(out) => Ok(Some(Box::new(out.body.into_async_read()))),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(StoreError::backend(e)),
        }
    }

    async fn read_prefix(&self, key: &ObjectKey, len: usize) -> Result<Option<Bytes>, StoreError> {
        // A range past the end is answered with the whole object.
        let range = format!("bytes=0-{}", len.max(1) - 1);
        let request = self.client.get_object().bucket(&self.bucket).key(key.as_str()).range(range);
        let out = match request.send().await {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(StoreError::backend(e)),
        };
        let mut bytes = out.body.collect().await.map_err(StoreError::backend)?.into_bytes();
        bytes.truncate(len);
        Ok(Some(bytes))
    }

    async fn list(
        &self,
        prefix: &str,
        after: Option<&ObjectKey>,
        limit: usize,
    ) -> Result<Vec<StoredObject>, StoreError> {
        // One request: S3 answers at most 1,000 keys, and the caller pages on.
        let max_keys = i32::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
        let mut request = self.client.list_objects_v2().bucket(&self.bucket).max_keys(max_keys);
        if !prefix.is_empty() {
            request = request.prefix(prefix);
        }
        if let Some(after) = after {
            request = request.start_after(after.as_str());
        }
        let out = request.send().await.map_err(StoreError::backend)?;
        Ok(out
            .contents
            .unwrap_or_default()
            .into_iter()
            .filter_map(|object| {
                let modified =
                    object.last_modified.and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()))?;
                Some(StoredObject {
                    key: ObjectKey::from_stored(object.key?),
                    size: object.size.and_then(|size| u64::try_from(size).ok()).unwrap_or(0),
                    modified,
                })
            })
            .collect())
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        self.client.delete_object().bucket(&self.bucket).key(key.as_str()).send().await.map_err(StoreError::backend)?;
        Ok(())
    }

    async fn download_url(
        &self,
        key: &ObjectKey,
        valid_for: std::time::Duration,
    ) -> Result<Option<String>, StoreError> {
        let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(valid_for).map_err(StoreError::backend)?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .response_content_type(key.content_type())
            .presigned(config)
            .await
            .map_err(StoreError::backend)?;
        Ok(Some(request.uri().to_owned()))
    }

    fn offers_download_urls(&self) -> bool {
        true
    }
}

#[derive(Debug)]
struct MultipartUpload {
    id: String,
    parts: Vec<CompletedPart>,
}

#[derive(Debug)]
struct S3Writer {
    client: Client,
    bucket: String,
    key: String,
    content_type: &'static str,
    part_size: usize,
    buffer: BytesMut,
    upload: Option<MultipartUpload>,
    size: u64,
}

impl S3Writer {
    async fn upload_part(&mut self, body: Bytes) -> Result<(), StoreError> {
        if self.upload.is_none() {
            let created = self
                .client
                .create_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .content_type(self.content_type)
                .send()
                .await
                .map_err(StoreError::backend)?;
            let id = created.upload_id.ok_or_else(|| StoreError::internal("S3 returned no upload id"))?;
            self.upload = Some(MultipartUpload { id, parts: Vec::new() });
        }
        let Some(upload) = self.upload.as_mut() else {
            return Err(StoreError::internal("multipart upload missing"));
        };
        let number = upload.parts.len() as i32 + 1;
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&upload.id)
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(StoreError::backend)?;
        upload.parts.push(CompletedPart::builder().part_number(number).set_e_tag(out.e_tag).build());
        Ok(())
    }

    async fn complete(&mut self) -> Result<(), StoreError> {
        let rest = self.buffer.split().freeze();
        if self.upload.is_none() {
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .content_type(self.content_type)
                .body(ByteStream::from(rest))
                .send()
                .await
                .map_err(StoreError::backend)?;
            return Ok(());
        }
        if !rest.is_empty() {
            self.upload_part(rest).await?;
        }
        let Some(upload) = self.upload.as_ref() else {
            return Err(StoreError::internal("multipart upload missing"));
        };
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&upload.id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(upload.parts.clone())).build())
            .send()
            .await
            .map_err(StoreError::backend)?;
        self.upload = None;
        Ok(())
    }

    async fn abort_upload(&mut self) -> Result<(), StoreError> {
        if let Some(upload) = self.upload.take() {
            self.client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .upload_id(upload.id)
                .send()
                .await
                .map_err(StoreError::backend)?;
        }
        Ok(())
    }

    /// On a failed write the upload is aborted before the error is returned.
    async fn or_abort<T>(&mut self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if result.is_err()
            && let Err(abort_error) = self.abort_upload().await
        {
            tracing::warn!(key = %self.key, error = %abort_error, "could not abort a failed multipart upload");
        }
        result
    }
}

#[async_trait]
impl ObjectWriter for S3Writer {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        self.size += chunk.len() as u64;
        self.buffer.extend_from_slice(&chunk);
        while self.buffer.len() >= self.part_size {
            let part = self.buffer.split_to(self.part_size).freeze();
            let sent = self.upload_part(part).await;
            self.or_abort(sent).await?;
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<u64, StoreError> {
        let completed = self.complete().await;
        self.or_abort(completed).await?;
        Ok(self.size)
    }

    async fn abort(mut self: Box<Self>) -> Result<(), StoreError> {
        self.buffer.clear();
        self.abort_upload().await
    }
}

impl Drop for S3Writer {
    fn drop(&mut self) {
        // A writer dropped mid-upload (its association aborted) must not leave
        // parts behind; abort in the background if a runtime is still there.
        if let Some(upload) = self.upload.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let request = self.client.abort_multipart_upload().bucket(&self.bucket).key(&self.key).upload_id(upload.id);
            runtime.spawn(async move {
                if let Err(e) = request.send().await {
                    tracing::warn!(error = %e, "could not abort an abandoned multipart upload");
                }
            });
        }
    }
}

/// Creates the bucket unless it exists (emulators and tests; Terraform in production).
pub async fn ensure_bucket(client: &Client, bucket: &str) -> Result<(), StoreError> {
    let region = client.config().region().map(|r| r.as_ref().to_owned()).unwrap_or_default();
    let mut create = client.create_bucket().bucket(bucket);
    // us-east-1 is the default location and must not be named.
    if !region.is_empty() && region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build(),
        );
    }
    match create.send().await {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_bucket_already_owned_by_you() || s.is_bucket_already_exists()) =>
        {
            Ok(())
        }
        Err(e) => Err(StoreError::backend(e)),
    }
}
