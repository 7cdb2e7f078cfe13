"""合成统筹区 the synthetic pooling region: generator, demo main job."""
