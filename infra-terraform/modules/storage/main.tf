# Where the instances live: one bucket, objects keyed facility/study/series/sop.dcm,
# encrypted with a customer-managed KMS key, versioned (an overwrite by a
# re-sent instance keeps the previous bytes), never public, TLS only.

resource "aws_kms_key" "instances" {
  description             = "Encrypts the DICOM instances in ${var.bucket_name}"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  tags                    = var.tags
}

resource "aws_kms_alias" "instances" {
  name          = "alias/${var.bucket_name}"
  target_key_id = aws_kms_key.instances.key_id
}

resource "aws_s3_bucket" "instances" {
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "instances" {
  bucket = aws_s3_bucket.instances.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "instances" {
  bucket                  = aws_s3_bucket.instances.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "instances" {
  bucket = aws_s3_bucket.instances.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "instances" {
  bucket = aws_s3_bucket.instances.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.instances.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "instances" {
  bucket = aws_s3_bucket.instances.id

  rule {
    id     = "archive-instances"
    status = "Enabled"
    filter {}
    transition {
      days          = var.archive_after_days
      storage_class = var.archive_storage_class
    }
    noncurrent_version_transition {
      noncurrent_days = var.archive_after_days
      storage_class   = var.archive_storage_class
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
  }

  # A receiver that dies mid-instance cannot abort its multipart upload; the
  # modality is never told success for it, so the parts are garbage.
  rule {
    id     = "abort-unfinished-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.instances]
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.instances.arn,
      "${aws_s3_bucket.instances.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "instances" {
  count  = var.tls_only_policy ? 1 : 0
  bucket = aws_s3_bucket.instances.id
  policy = data.aws_iam_policy_document.tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.instances]
}
