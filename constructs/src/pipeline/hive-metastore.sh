#!/bin/bash
# dpc: points Hive (and Spark, through Hive) at an external metastore whose connection is
# kept in a Secrets Manager secret in the RDS secret format (host, port, dbname, username,
# password, engine). Runs as an EMR bootstrap action with two arguments: the secret's name
# and the region. The cluster reads the secret itself, at boot, with its instance role:
# the password never appears in the cluster's configuration, the state machine's
# definition, its input or its history.
#
# Bootstrap actions run before EMR installs applications, so the work is done by a
# background job that waits for Hive's configuration, writes the connection into it and
# restarts the metastore. Only the primary node runs the metastore. The job leaves a
# marker, /tmp/dpc-hive-metastore.done or .failed; the state machine's first EMR step
# waits for it, so no step of the pipeline meets the default metastore.
set -euo pipefail

SECRET_ID="$1"
REGION="$2"

if ! grep -q '"isMaster": *true' /mnt/var/lib/info/instance.json; then
  exit 0
fi

cat > /tmp/dpc-hive-metastore.sh <<'SCRIPT'
#!/bin/bash
set -euo pipefail
trap 'touch /tmp/dpc-hive-metastore.failed' ERR
SECRET_ID="$1"
REGION="$2"
SITE=/etc/hive/conf/hive-site.xml
for _ in $(seq 1 360); do
  if [ -f "$SITE" ] && systemctl list-unit-files | grep -q '^hive-hcatalog-server'; then
    break
  fi
  sleep 5
done
SECRET="$(aws secretsmanager get-secret-value --region "$REGION" --secret-id "$SECRET_ID" \
  --query SecretString --output text)"
sudo SECRET="$SECRET" SITE="$SITE" python3 - <<'PY'
import json, os
import xml.etree.ElementTree as ET

secret = json.loads(os.environ["SECRET"])
engine = secret.get("engine", "mysql")
scheme = "mariadb" if engine == "mariadb" else ("postgresql" if engine.startswith("postgres") else "mysql")
driver = {
    "mysql": "org.mariadb.jdbc.Driver",
    "mariadb": "org.mariadb.jdbc.Driver",
    "postgresql": "org.postgresql.Driver",
}[scheme]
url = "jdbc:%s://%s:%s/%s?createDatabaseIfNotExist=true" % (
    scheme, secret["host"], secret.get("port", 3306), secret.get("dbname", "hive"))
wanted = {
    "javax.jdo.option.ConnectionURL": url,
    "javax.jdo.option.ConnectionDriverName": driver,
    "javax.jdo.option.ConnectionUserName": secret["username"],
    "javax.jdo.option.ConnectionPassword": secret["password"],
}
site = os.environ["SITE"]
tree = ET.parse(site)
root = tree.getroot()
for prop in list(root.findall("property")):
    name = prop.findtext("name")
    if name in wanted:
        root.remove(prop)
for name, value in wanted.items():
    prop = ET.SubElement(root, "property")
    ET.SubElement(prop, "name").text = name
    ET.SubElement(prop, "value").text = str(value)
tree.write(site)
# The file now holds the password: readable by the hive group only.
try:
    import grp
    os.chown(site, 0, grp.getgrnam("hive").gr_gid)
    os.chmod(site, 0o640)
except KeyError:
    pass
PY
sudo systemctl restart hive-hcatalog-server
if systemctl list-unit-files | grep -q '^hive-server2'; then
  sudo systemctl restart hive-server2
fi
touch /tmp/dpc-hive-metastore.done
SCRIPT

chmod 700 /tmp/dpc-hive-metastore.sh
nohup /tmp/dpc-hive-metastore.sh "$SECRET_ID" "$REGION" > /tmp/dpc-hive-metastore.log 2>&1 &
exit 0
