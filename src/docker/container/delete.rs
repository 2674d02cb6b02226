//! `docker rm`: moby's `daemon/delete.go` (`ContainerRm`).

use super::*;

impl Daemon {
    /// `DELETE /containers/{id}`.
    pub fn container_remove(&mut self, term: &str, force: bool) -> Result<()> {
        let cid = self.find_container(term)?;
        let c = self.state.container(&cid)?;
        if c.is_running() {
            if !force {
                return Err(Error::remove_running(term));
            }
            self.container_event(&cid, "kill", &[("signal", "9".into())]);
            self.exit(&cid, 137);
        }
        if let Some(c) = self.state.containers.shift_remove(&cid) {
            self.state.names.remove(&c.name);
            self.log_event(
                "container",
                "destroy",
                &cid,
                super::stop::destroy_attributes(&c),
            );
        }
        Ok(())
    }
}
