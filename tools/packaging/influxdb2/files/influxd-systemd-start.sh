#!/usr/bin/env bash
# Start influxd in the background and return once its API answers /ready (the unit is
# Type=forking), as the start script of InfluxData's influxdb2 package does.
set -e
/usr/bin/influxd &
echo $! >/var/lib/influxdb/influxd.pid

bind=$(influxd print-config --key-name http-bind-address)
cert=$(influxd print-config --key-name tls-cert | tr -d '"')
key=$(influxd print-config --key-name tls-key | tr -d '"')
scheme=http
if [ -n "$cert" ] && [ -n "$key" ]; then
  scheme=https
fi
host=${bind%:*}
host=${host:-localhost}
url="$scheme://$host:${bind##*:}/ready"

set +e
while :; do
  code=$(curl -k -s -o /dev/null -w '%{http_code}' "$url")
  case "$code" in 2*|4*) break ;; esac
  echo "InfluxDB API at $url not ready yet"
  sleep 1
done
echo "InfluxDB started"
