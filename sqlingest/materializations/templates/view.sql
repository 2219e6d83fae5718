CREATE OR REPLACE VIEW {{ relation }} AS
{{ sql }}
