"""What the applied stack routes where, read back from the emulator with boto3
(a client nobody here wrote): the CloudFront distribution's origins and
behaviours, the DICOMweb balancer's listener rules and target group, and the
receiver's secrets by name. Prints JSON.

usage: deployed_routing.py ENDPOINT DISTRIBUTION_ID BALANCER_DNS SECRETS_JSON
"""

import json
import sys

import boto3

endpoint, distribution_id, balancer_dns, secrets = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")


def client(name):
    return session.client(name, endpoint_url=endpoint)


config = client("cloudfront").get_distribution_config(Id=distribution_id)["DistributionConfig"]
origins = {
    o["Id"]: {
        "domain": o["DomainName"],
        "protocol": o["CustomOriginConfig"]["OriginProtocolPolicy"],
        "headers": {h["HeaderName"]: h["HeaderValue"] for h in o["CustomHeaders"].get("Items", [])},
    }
    for o in config["Origins"]["Items"]
}


def behaviour(b):
    return {
        "origin": b["TargetOriginId"],
        "methods": sorted(b["AllowedMethods"]["Items"]),
        "cache_policy": b.get("CachePolicyId"),
        "origin_request_policy": b.get("OriginRequestPolicyId"),
        "viewer_protocol": b["ViewerProtocolPolicy"],
        "compress": b.get("Compress"),
    }


behaviours = {"default": behaviour(config["DefaultCacheBehavior"])}
for b in config.get("CacheBehaviors", {}).get("Items", []):
    behaviours[b["PathPattern"]] = behaviour(b)

elbv2 = client("elbv2")
balancer = next(b for b in elbv2.describe_load_balancers()["LoadBalancers"] if b["DNSName"] == balancer_dns)
listeners = []
for listener in elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]:
    rules = []
    for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
        conditions = {}
        for c in rule.get("Conditions", []):
            if c["Field"] == "http-header":
                conditions["header"] = [c["HttpHeaderConfig"]["HttpHeaderName"], c["HttpHeaderConfig"]["Values"]]
            elif c["Field"] == "path-pattern":
                conditions["path"] = c.get("PathPatternConfig", {}).get("Values") or c.get("Values")
        action = rule["Actions"][0]
        rules.append({
            "default": rule["IsDefault"],
            "conditions": conditions,
            "action": action["Type"],
            "status": action.get("FixedResponseConfig", {}).get("StatusCode"),
            "target_group": action.get("TargetGroupArn"),
        })
    listeners.append({"port": listener["Port"], "protocol": listener["Protocol"], "rules": rules})

groups = {}
for group in elbv2.describe_target_groups(LoadBalancerArn=balancer["LoadBalancerArn"])["TargetGroups"]:
    attributes = elbv2.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])["Attributes"]
    groups[group["TargetGroupArn"]] = {
        "port": group["Port"],
        "protocol": group["Protocol"],
        "health_port": group["HealthCheckPort"],
        "health_path": group["HealthCheckPath"],
        "deregistration_delay": next(
            (a["Value"] for a in attributes if a["Key"] == "deregistration_delay.timeout_seconds"), None
        ),
    }

manager = client("secretsmanager")
values = {name: manager.get_secret_value(SecretId=arn)["SecretString"] for name, arn in secrets.items()}

print(json.dumps({
    "origins": origins,
    "behaviours": behaviours,
    "balancer": {"type": balancer.get("Type"), "listeners": listeners},
    "target_groups": groups,
    "secrets": values,
}))
