"""Life services (生活服务): help at home that is not an emergency, never mixed with alarms."""
