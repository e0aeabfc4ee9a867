-- Estimates average the latest completed builds of a configuration (else of
-- its architecture): these indexes find them without reading the history.
CREATE INDEX builds_configuration_completed ON builds (configuration_id, completed_at DESC) WHERE status = 'completed';
CREATE INDEX builds_architecture_completed ON builds (architecture, completed_at DESC) WHERE status = 'completed';
