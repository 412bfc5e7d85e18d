"""Operations endpoints: health check and Prometheus metrics."""
