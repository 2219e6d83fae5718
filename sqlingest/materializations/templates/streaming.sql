{#- Streaming micro-batches are appended by the runner with commit options (see docs/streaming.md); this template
    is what `sqlingest replay` uses to publish rows taken back from the quarantine: a plain append. -#}
{% include 'append.sql' %}
