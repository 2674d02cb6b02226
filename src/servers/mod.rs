//! The servers that images run: what answers on a container's TCP ports when its image's
//! program listens there (`nginx` and `httpd` on 80, `redis` on 6379, `postgres` on 5432;
//! [`crate::docker::image`] says which image runs which), and those a command left running
//! (`nc -l`, busybox `httpd`). Each is a sans-IO
//! [`Server`](crate::engine::tcp::Server) the engine hands a connection's bytes to; this file
//! puts them on the NICs of a command's world.

pub mod busybox_httpd;
pub mod echo;
pub mod http;
pub mod postgres;
pub mod redis;

use crate::docker::container::fs::Layer;
use crate::docker::image::Service;
use crate::docker::sandbox::Sandbox;
use crate::engine::World;
use crate::engine::tcp::{Factory, Server};
use std::rc::Rc;

/// What the servers of one container share across its NICs in a command: redis' keys, the
/// files httpd serves.
#[derive(Default)]
struct Shared {
    keyspaces: Vec<(String, redis::Keyspace)>,
    layers: Vec<(String, Rc<Layer>)>,
}

/// Starts, on each NIC of `world`, the servers its container's program runs.
pub fn install(sb: &Sandbox, world: &mut World) {
    let mut shared = Shared::default();
    let nics: Vec<_> = world.nic_ids().collect();
    for n in nics {
        install_on(sb, world, n, &mut shared);
    }
}

/// Starts on NIC `n` (one made after [`install`], a stack on `lo`) the servers its
/// container runs: with their own redis keys and copy of httpd's files (one command's
/// programs reach a container's servers by one way only, so nothing is seen twice).
pub fn install_nic(sb: &Sandbox, world: &mut World, n: crate::engine::NicId) {
    install_on(sb, world, n, &mut Shared::default());
}

fn install_on(sb: &Sandbox, world: &mut World, n: crate::engine::NicId, shared: &mut Shared) {
    let Shared { keyspaces, layers } = shared;
    {
        let served = sb.served_at(world, n);
        // Shared by the container's ID: another host's container may bear a local name.
        let owner = served.id.clone();
        for &(port, service) in &served.tcp {
            let factory: Factory = match service {
                Service::BusyboxHttpd => {
                    let Some((_, home)) = served.homes.iter().find(|(p, _)| *p == port) else {
                        continue;
                    };
                    // One copy of the container's files for all its servers.
                    let layer = match layers.iter().find(|(c, _)| *c == owner) {
                        Some((_, l)) => l.clone(),
                        None => {
                            let l = Rc::new(served.layer.clone().unwrap_or_default());
                            layers.push((owner.clone(), l.clone()));
                            l
                        }
                    };
                    let site = Rc::new(busybox_httpd::Site::new(home.clone(), layer));
                    Rc::new(move || {
                        Box::new(busybox_httpd::BusyboxHttpd::new(site.clone())) as Box<dyn Server>
                    })
                }
                Service::Echo => Rc::new(|| Box::new(echo::Echo) as Box<dyn Server>),
                Service::Sink => Rc::new(|| Box::new(echo::Sink) as Box<dyn Server>),
                Service::Nginx => {
                    Rc::new(|| Box::new(http::Http::new(http::Flavor::Nginx)) as Box<dyn Server>)
                }
                Service::Httpd => {
                    Rc::new(|| Box::new(http::Http::new(http::Flavor::Httpd)) as Box<dyn Server>)
                }
                Service::Postgres => {
                    Rc::new(|| Box::<postgres::Postgres>::default() as Box<dyn Server>)
                }
                Service::Redis => {
                    // One keyspace per container, whichever interface a client comes by.
                    let keys = match keyspaces.iter().find(|(c, _)| *c == owner) {
                        Some((_, k)) => k.clone(),
                        None => {
                            let k = redis::Keyspace::default();
                            keyspaces.push((owner.clone(), k.clone()));
                            k
                        }
                    };
                    Rc::new(move || Box::new(redis::Redis::new(keys.clone())) as Box<dyn Server>)
                }
            };
            world.listen(n, port, factory);
        }
        for &(port, service) in &served.udp {
            world.listen_udp(n, port, service == Service::Echo);
        }
    }
}
