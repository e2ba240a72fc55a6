//! The route server's builder thread.
//!
//! One long-lived thread for builds: the large, short-lived allocations of a build always come
//! from the same allocator arena (blocking-pool threads would each grow their own), and a build
//! never holds up the threads serving requests.

type Job = Box<dyn FnOnce() + Send>;

#[derive(Debug, thiserror::Error)]
pub(crate) enum BuilderError {
    #[error("the builder thread is gone")]
    Gone,
    #[error("the build panicked")]
    Panicked,
}

pub(crate) struct Builder {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Builder {
    pub(crate) fn new() -> Self {
        let (jobs, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("route-builder".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .expect("spawn the route builder thread");
        Self { jobs }
    }

    /// Run `f` on the builder thread without waiting for it.
    pub(crate) fn spawn(&self, f: impl FnOnce() + Send + 'static) {
        // Sending only fails once the thread is gone, and then `run` reports it.
        let _ = self.jobs.send(Box::new(f));
    }

    /// Run `f` on the builder thread and wait for its result.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, BuilderError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| BuilderError::Gone)?;
        rx.await.map_err(|_| BuilderError::Panicked)
    }
}
