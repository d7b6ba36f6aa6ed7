"""Build an organization with OUs, accounts and ACM certificates in moto, through its API.

Usage: python3 fleet_moto_setup.py http://127.0.0.1:PORT
Prints one JSON object describing what was created (the test's expected world).
"""
import datetime
import json
import sys

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

URL = sys.argv[1]
KW = dict(endpoint_url=URL, aws_access_key_id="AKIAMOTOTEST00000001",
          aws_secret_access_key="x")


def client(service, region="us-east-1", creds=None):
    kw = dict(KW)
    if creds:
        kw.update(aws_access_key_id=creds["AccessKeyId"],
                  aws_secret_access_key=creds["SecretAccessKey"],
                  aws_session_token=creds["SessionToken"])
    return boto3.client(service, region_name=region, **kw)


def self_signed(domain, days, key_kind):
    if key_kind == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    kpem = key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())
    return pem, kpem


org = client("organizations")
org.create_organization(FeatureSet="ALL")
mgmt = org.describe_organization()["Organization"]["MasterAccountId"]
root = org.list_roots()["Roots"][0]["Id"]
workloads = org.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
prod = org.create_organizational_unit(ParentId=workloads, Name="Prod")["OrganizationalUnit"]["Id"]
dev = org.create_organizational_unit(ParentId=workloads, Name="Dev")["OrganizationalUnit"]["Id"]
security = org.create_organizational_unit(ParentId=root, Name="Security")["OrganizationalUnit"]["Id"]

accounts = []
for name, parent, path in [("prod-web", prod, "Root/Workloads/Prod"),
                           ("dev-web", dev, "Root/Workloads/Dev"),
                           ("audit", security, "Root/Security")]:
    status = org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
    acct = status["AccountId"]
    org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=parent)
    accounts.append({"id": acct, "name": name, "ou_path": path})

certs = []
sts = client("sts")
for acct, kind in [(accounts[0], "rsa"), (accounts[1], "ec")]:
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{acct['id']}:role/OrganizationAccountAccessRole",
                            RoleSessionName="setup")["Credentials"]
    for region, days in [("us-east-1", 20), ("eu-west-1", 200)]:
        domain = f"{acct['name']}.{region}.example.com"
        pem, key = self_signed(domain, days, kind)
        arn = client("acm", region, creds).import_certificate(Certificate=pem, PrivateKey=key)["CertificateArn"]
        certs.append({"arn": arn, "account_id": acct["id"], "region": region,
                      "domain_name": domain, "days": days})

print(json.dumps({"management": mgmt, "accounts": accounts, "certificates": certs}))
