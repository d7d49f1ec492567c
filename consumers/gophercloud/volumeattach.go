// volumeattach drives gophercloud's compute volumeattach (what Kubernetes' Cinder CSI
// driver calls to publish a volume) against a fake-cinder: password login to its
// Keystone, then create, get, list and delete of a server's volume attachment.
// It prints one JSON object per step on stdout for the test to check
// (tests/clients/test_gophercloud.py builds it with Debian's gophercloud).
//
// Usage: volumeattach AUTH_URL USER PASSWORD PROJECT SERVER_ID VOLUME_ID attach|detach
// (attach: create, get and list; detach: delete).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/gophercloud/gophercloud"
	"github.com/gophercloud/gophercloud/openstack"
	"github.com/gophercloud/gophercloud/openstack/compute/v2/extensions/volumeattach"
)

func report(step string, value interface{}) {
	line, _ := json.Marshal(map[string]interface{}{"step": step, "result": value})
	fmt.Println(string(line))
}

func fail(step string, err error) {
	report(step, map[string]string{"error": err.Error()})
	os.Exit(1)
}

func main() {
	if len(os.Args) != 8 || (os.Args[7] != "attach" && os.Args[7] != "detach") {
		fmt.Fprintln(os.Stderr, "usage: volumeattach AUTH_URL USER PASSWORD PROJECT SERVER_ID "+
			"VOLUME_ID attach|detach")
		os.Exit(2)
	}
	authURL, user, password, project := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	serverID, volumeID, mode := os.Args[5], os.Args[6], os.Args[7]
	provider, err := openstack.AuthenticatedClient(gophercloud.AuthOptions{
		IdentityEndpoint: authURL, Username: user, Password: password,
		TenantName: project, DomainName: "Default",
	})
	if err != nil {
		fail("auth", err)
	}
	compute, err := openstack.NewComputeV2(provider, gophercloud.EndpointOpts{Region: "RegionOne"})
	if err != nil {
		fail("endpoint", err)
	}
	if mode == "detach" {
		// Nova names a server's volume attachment by the volume's id.
		if err := volumeattach.Delete(compute, serverID, volumeID).ExtractErr(); err != nil {
			fail("delete", err)
		}
		report("delete", "ok")
		return
	}
	created, err := volumeattach.Create(compute, serverID, volumeattach.CreateOpts{
		VolumeID: volumeID}).Extract()
	if err != nil {
		fail("create", err)
	}
	report("create", created)
	got, err := volumeattach.Get(compute, serverID, created.ID).Extract()
	if err != nil {
		fail("get", err)
	}
	report("get", got)
	pages, err := volumeattach.List(compute, serverID).AllPages()
	if err != nil {
		fail("list", err)
	}
	listed, err := volumeattach.ExtractVolumeAttachments(pages)
	if err != nil {
		fail("list", err)
	}
	report("list", listed)
}
