# The region's archive: bookings whose show ended over a year ago, as Parquet by region/year/month with
# hash-chained manifests. Object lock in COMPLIANCE mode means no one, root included, can delete or shorten the
# retention of an archived object before it expires. The archiver sets each object's retain-until date to five
# years after its show; the bucket's default (five years from upload) covers any object written without one.

resource "aws_s3_bucket" "archive" {
  region              = var.aws_region
  bucket              = var.s3_bucket
  object_lock_enabled = true
}

resource "aws_s3_bucket_versioning" "archive" {
  region = var.aws_region
  bucket = aws_s3_bucket.archive.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_object_lock_configuration" "archive" {
  region = var.aws_region
  bucket = aws_s3_bucket.archive.id

  rule {
    default_retention {
      mode  = "COMPLIANCE"
      years = 5
    }
  }

  depends_on = [aws_s3_bucket_versioning.archive]
}

resource "aws_s3_bucket_server_side_encryption_configuration" "archive" {
  region = var.aws_region
  bucket = aws_s3_bucket.archive.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "archive" {
  region                  = var.aws_region
  bucket                  = aws_s3_bucket.archive.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
