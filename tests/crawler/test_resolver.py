"""The connection-time guard: the reactor's resolver hands on public addresses only."""
from twisted.internet.address import IPv4Address

from crawler.middlewares import PublicAddressResolver


class Recorder:
    def __init__(self):
        self.addresses, self.complete = [], False

    def resolutionBegan(self, resolution):
        pass

    def addressResolved(self, address):
        self.addresses.append(address.host)

    def resolutionComplete(self):
        self.complete = True


class Answers:
    """Twisted's resolver interface answering fixed addresses, as a rebinding DNS server would."""

    def __init__(self, *hosts):
        self.hosts = hosts

    def resolveHostName(self, receiver, hostName, portNumber=0, addressTypes=None, transportSemantics="TCP"):
        receiver.resolutionBegan(None)
        for host in self.hosts:
            receiver.addressResolved(IPv4Address("TCP", host, portNumber))
        receiver.resolutionComplete()
        return receiver


def test_private_addresses_never_reach_the_connection():
    recorder = Recorder()
    PublicAddressResolver(Answers("127.0.0.1", "93.184.216.34", "10.0.0.8", "169.254.169.254")).resolveHostName(
        recorder, "rebinding.example", 80)
    assert recorder.addresses == ["93.184.216.34"] and recorder.complete


def test_a_name_with_only_private_addresses_resolves_to_nothing():
    recorder = Recorder()
    PublicAddressResolver(Answers("192.168.1.1")).resolveHostName(recorder, "intranet.example", 80)
    assert recorder.addresses == [] and recorder.complete
