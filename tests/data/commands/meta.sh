#!/bin/sh
# exec fixture: graph definitions in a meta run, values otherwise.
if [ "$MACKEREL_AGENT_PLUGIN_META" = 1 ]; then
	cat <<'JSON'
# mackerel-agent-plugin version=1
{
  "graphs": {
    "dice": {
      "label": "My Dice",
      "unit": "integer",
      "metrics": [
        {"name": "d6", "label": "Die (d6)", "stacked": true},
        {"Name": "d20", "Label": "Die (d20)"}
      ]
    },
    "bare": {}
  }
}
trailing text is ignored
JSON
	exit 0
fi
now=$(date +%s)
echo "dice.d6 4 $now"
echo "dice.d20 17 $now"
