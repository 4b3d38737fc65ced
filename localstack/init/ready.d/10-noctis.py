"""LocalStack init hook: the bucket and the DynamoDB tables Noctis uses.

The table definitions are the files in localstack/tables/, which a unit test in
noctis-core keeps equal to the adapter's schema.
"""

import glob
import json
import os

import boto3

ENDPOINT = "http://localhost:4566"
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
s3 = session.client("s3", endpoint_url=ENDPOINT)
dynamodb = session.client("dynamodb", endpoint_url=ENDPOINT)

bucket = os.environ.get("NOCTIS_BUCKET", "noctis-instances")
existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
if bucket not in existing:
    s3.create_bucket(Bucket=bucket)

tables = set(dynamodb.list_tables()["TableNames"])
for path in sorted(glob.glob("/etc/localstack/noctis-tables/*.json")):
    with open(path) as f:
        spec = json.load(f)
    ttl_attribute = spec.pop("x-noctis-ttl-attribute", None)
    if spec["TableName"] not in tables:
        dynamodb.create_table(**spec)
        dynamodb.get_waiter("table_exists").wait(TableName=spec["TableName"])
    if ttl_attribute:
        status = dynamodb.describe_time_to_live(TableName=spec["TableName"])["TimeToLiveDescription"]
        if status.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dynamodb.update_time_to_live(
                TableName=spec["TableName"],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
            )
print("noctis: bucket and tables ready")
