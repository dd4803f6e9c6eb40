//! In-memory movie: the shared currency between the reader and every pipeline stage.

/// A single-plane movie, frames stored row-major and contiguous: `data[t*h*w + y*w + x]`.
#[derive(Clone, Debug, Default)]
pub struct Movie {
    pub frames: usize,
    pub height: usize,
    pub width: usize,
    pub data: Vec<f32>,
}

impl Movie {
    pub fn new(frames: usize, height: usize, width: usize) -> Self {
        Movie {
            frames,
            height,
            width,
            data: vec![0.0; frames * height * width],
        }
    }

    pub fn frame_len(&self) -> usize {
        self.height * self.width
    }

    pub fn frame(&self, t: usize) -> &[f32] {
        let n = self.frame_len();
        &self.data[t * n..(t + 1) * n]
    }

    pub fn frame_mut(&mut self, t: usize) -> &mut [f32] {
        let n = self.frame_len();
        &mut self.data[t * n..(t + 1) * n]
    }
}
