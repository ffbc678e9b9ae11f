"""Judging a trained GAN: sample quality against real data (classifier features) and the papers' own
experiments. Nothing here trains a GAN; everything takes a trained model or arrays of samples."""
