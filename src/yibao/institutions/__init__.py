"""两定机构 (designated institutions) and their insurance doctors and pharmacists (医保医师)."""
