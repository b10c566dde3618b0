/* sources/provinces.ini and doc/noticewatch.ini.example, built into the
 * binary for 'noticewatch init'. */
	.section .rodata
	.global nw_catalog_start
	.global nw_catalog_end
nw_catalog_start:
	.incbin "sources/provinces.ini"
nw_catalog_end:
	.byte 0
	.global nw_example_start
	.global nw_example_end
nw_example_start:
	.incbin "doc/noticewatch.ini.example"
nw_example_end:
	.byte 0
	.section .note.GNU-stack,"",@progbits
